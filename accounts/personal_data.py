"""Everything the site stores about one person: gathered for a download, erased on deletion.

accounts cannot import the apps above it, so each app describes its own part of a person's
data in a `personal_data` module named in `settings.PERSONAL_DATA_PROVIDERS`. A provider may
offer any of:

- `export(user) -> dict`: the person's data in that app, JSON-ready (see `rows`).
- `files(user) -> list[tuple[str, FieldFile]]`: files the person uploaded, with the name each
  takes inside the download.
- `deletion_blockers(user) -> list[str]`: why the account cannot be deleted yet, in words the
  person can act on.
- `erase(user) -> None`: removes or unlinks the person's data; runs in the deletion's
  transaction before the user row goes, so anything it misses is caught by the foreign keys.
- `GOES` and `STAYS`: lists of plain sentences for the "delete your account" page.

This module is also the accounts app's own provider (profile, email addresses, two-factor
authentication, earlier downloads), always asked first.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable
from importlib import import_module
from types import ModuleType
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

# Fields that never go into a download: secrets, and machinery with no meaning to a person.
NEVER_EXPORTED = {"password", "search_vector"}

GOES = [
    _("your name, job title and the date you joined"),
    _("your email addresses and your password"),
    _("your two-factor authentication settings and recovery codes"),
    _("any copies of your data you have downloaded or asked for"),
    _("your sign-ins: you are signed out everywhere"),
    _("the emails we sent you, and any still waiting to be sent (they are cancelled)"),
]
STAYS: list[str] = []


def providers() -> list[ModuleType]:
    """This module first, then every app's provider in the order settings give."""
    return [sys.modules[__name__]] + [
        import_module(dotted) for dotted in getattr(settings, "PERSONAL_DATA_PROVIDERS", [])
    ]


def person_label(user, other_id: int | None) -> str | None:
    """How a download names a person an item points at: "you", or "another person"."""
    if other_id is None:
        return None
    return "you" if other_id == user.pk else "another person"


def _value(user, instance: models.Model, field: models.Field) -> Any:
    if isinstance(field, models.ForeignKey):
        related_id = getattr(instance, field.attname)
        if field.related_model is get_user_model():
            return person_label(user, related_id)
        if related_id is None:
            return None
        return str(getattr(instance, field.name))
    value = getattr(instance, field.attname)
    if isinstance(field, models.FileField):
        return value.name or None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if field.choices and value not in (None, ""):
        return str(getattr(instance, f"get_{field.name}_display")())
    return value


def row(user, instance: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """One stored row as a plain dictionary: every concrete field the person may read, people
    named only as "you" or "another person", other related rows by their name."""
    skip = NEVER_EXPORTED | set(exclude)
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        # Stored HTML is the Markdown beside it, rendered: the text itself is what the person wrote.
        if field.name in skip or field.name.endswith("_html") or isinstance(field, models.GeneratedField):
            continue
        data[field.name] = _value(user, instance, field)
    return data


def rows(user, queryset: Iterable[models.Model], exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    return [row(user, instance, exclude) for instance in queryset]


# --- The accounts app's own part ---------------------------------------------------------------


def export(user) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    profile = row(user, user, exclude=["id"])
    return {
        "profile": profile,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        # What is switched on and when it was used; never the secret or the codes themselves.
        "two_factor_authentication": [
            {
                "type": authenticator.get_type_display(),
                "created_at": authenticator.created_at.isoformat(),
                "last_used_at": authenticator.last_used_at.isoformat() if authenticator.last_used_at else None,
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "data_downloads": rows(user, user.data_exports.all(), exclude=["user", "file"]),
        "emails_we_sent_you": _emails_to(addresses_of(user)),
    }


def _emails_to(addresses: list[str]) -> list[dict[str, Any]]:
    """What the outbox holds for the person: subjects and dates. Not the bodies, which can
    carry sign-in and reset links that still work."""
    from django.db.models import Q

    from outbox.models import OutgoingEmail

    to_them = Q()
    for address in addresses:
        to_them |= Q(to__iexact=address)
    return [
        {
            "to": email.to,
            "subject": email.subject,
            "status": email.get_status_display(),
            "created_at": email.created_at.isoformat(),
            "sent_at": email.sent_at.isoformat() if email.sent_at else None,
        }
        for email in OutgoingEmail.objects.filter(to_them).order_by("created_at", "pk")
    ]


def addresses_of(user) -> list[str]:
    """Every email address the person has given the site."""
    from allauth.account.models import EmailAddress

    found = {user.email.lower()} | {
        email.lower() for email in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    return sorted(found)
