"""Digest pages: compose, preview, send, report, preferences and unsubscribe."""

urlpatterns: list = []
