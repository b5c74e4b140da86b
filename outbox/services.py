"""Writing to the outbox and forgetting a person. Rendering happens in the caller's app."""

from __future__ import annotations

from django.db import transaction

from .models import OutgoingEmail
from .tasks import enqueue


def outbox_add(
    *, to: list[str], subject: str, text: str, html: str = "", headers: dict | None = None
) -> list[int]:
    """Store one row per recipient in the current transaction; send them once it commits.

    Rolled back, the rows are gone and nothing is sent.
    """
    with transaction.atomic():
        emails = OutgoingEmail.objects.bulk_create(
            [
                OutgoingEmail(to=address, subject=subject, text=text, html=html, headers=headers or {})
                for address in to
            ]
        )
        ids = [email.pk for email in emails]
        transaction.on_commit(lambda: enqueue(ids))
    return ids


def outbox_forget(*, address: str) -> int:
    """Delete every row addressed to `address`, whatever its status: queued email to the person
    is thereby cancelled. Returns the number of rows deleted."""
    deleted, _by_model = OutgoingEmail.objects.addressed_to(address).delete()
    return deleted
