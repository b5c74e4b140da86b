"""Staying up while Redis is not: a cache that degrades to "nothing cached", and a way to queue
a task that a sweep will recover if the broker cannot take it.

Bottom layer: imports Django, Celery, kombu and redis only, so every app (and the settings,
by name) can use it. Not a Django app: nothing here has models or templates.
"""
