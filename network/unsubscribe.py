"""Signed one-click unsubscribe tokens (RFC 8058) and stable Message-IDs for digest emails.

A token names a person and a kind of digest; nothing is stored, so a leaked token can only
unsubscribe that one person from that one kind of email.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.mail import absolute_url

from .models import Digest


def _salt(kind: str) -> str:
    return f"network.digest.unsubscribe.{kind}"


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=_salt(kind), compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """The (user id, kind) a token was made for, or None when it is not one of ours."""
    for kind in Digest.Kind.values:
        try:
            data = signing.loads(token, salt=_salt(kind))
        except signing.BadSignature:
            continue
        if data.get("k") == kind and isinstance(data.get("u"), int):
            return data["u"], kind
    return None


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    token = unsubscribe_token(user_id=user_id, kind=kind)
    return absolute_url(reverse("network:unsubscribe", kwargs={"token": token}))


def message_id(*, digest_id: int, user_id: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "anchors.invalid"
    return f"<digest-{digest_id}-{user_id}@{host}>"
