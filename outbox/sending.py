"""Claiming, sending and sweeping outbox rows. Tasks call this module; it never imports them.

A sender first claims its rows in a short transaction (queued -> sending, locked with
skip_locked so two senders never take the same row), then sends them over one SMTP connection
and marks each row as soon as the server has answered. What a crash can repeat is bounded by
that: the one message handed to SMTP but not yet marked sent. The claim is a lease: rows whose
sender died are taken back by the sweep once it runs out.
"""

from __future__ import annotations

import contextlib
import smtplib
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from .models import OutgoingEmail

# Long enough for one batch over a slow SMTP server; renewed while a batch is being sent.
LEASE = timedelta(minutes=2)
# A queued row this old lost its task (the broker was down when it was written, say).
STALE_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 5
# Sent and failed rows are kept this long for the admin, then deleted.
KEEP_FOR = timedelta(days=30)
BATCH_SIZE = 50
# Seconds each SMTP command may take when EMAIL_TIMEOUT is not set: a hung server must not hold
# a batch past its lease.
SMTP_TIMEOUT = 30

Status = OutgoingEmail.Status


def claim(ids: list[int], *, now: datetime | None = None) -> list[int]:
    """Take the rows among `ids` that are due and nobody holds. Returns the ids taken."""
    now = now or timezone.now()
    with transaction.atomic():
        taken = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids)
            .claimable(now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=taken).update(
            status=Status.SENDING, claimed_until=now + LEASE, attempts=F("attempts") + 1
        )
    return taken


def message_id(email: OutgoingEmail) -> str:
    """The same Message-ID however often the row is sent, so mail systems can drop a repeat."""
    host = urlsplit(settings.SITE_URL).hostname or "anchors.invalid"
    return f"<outbox-{email.pk}.{email.created_at:%Y%m%d%H%M%S}@{host}>"


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": message_id(email), **email.headers}
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=headers,
    )
    if email.html:
        if email.text:
            message.attach_alternative(email.html, "text/html")
        else:
            message.body = email.html
            message.content_subtype = "html"
    return message


def _is_permanent(exc: Exception) -> bool:
    """5xx answers are final; 4xx answers and lost connections are worth trying again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, ValueError)  # a message that cannot be built never will be


def _reason(exc: Exception) -> str:
    """The server's own words, as a person reading the admin would want them."""

    def reply(code: int, text: bytes | str) -> str:
        text = text.decode(errors="replace") if isinstance(text, bytes) else text
        return f"{code} {text}"

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        reason = "; ".join(reply(code, text) for code, text in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        reason = reply(exc.smtp_code, exc.smtp_error)
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return reason[:1000]


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(minutes=30))


def _mark_sent(pk: int, now: datetime) -> None:
    # The bodies go once delivered: they can hold sign-in and reset links.
    OutgoingEmail.objects.filter(pk=pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=now, last_error="", claimed_until=None, text="", html="", headers={}
    )


def _mark_failed(pk: int, reason: str) -> None:
    OutgoingEmail.objects.filter(pk=pk, status=Status.SENDING).update(
        status=Status.FAILED, last_error=reason, claimed_until=None
    )


def _mark_for_retry(emails: list[OutgoingEmail], exc: Exception, now: datetime) -> None:
    reason = _reason(exc)
    for email in emails:
        if email.attempts >= MAX_ATTEMPTS:
            _mark_failed(email.pk, f"Gave up after {email.attempts} attempts: {reason}"[:1000])
        else:
            OutgoingEmail.objects.filter(pk=email.pk, status=Status.SENDING).update(
                status=Status.QUEUED,
                last_error=reason,
                claimed_until=None,
                next_attempt_at=now + _backoff(email.attempts),
            )


def send_claimed(ids: list[int]) -> int:
    """Send the claimed rows over one connection. Returns how many the server accepted."""
    emails = list(OutgoingEmail.objects.filter(pk__in=ids, status=Status.SENDING).order_by("pk"))
    if not emails:
        return 0
    connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        _mark_for_retry(emails, exc, timezone.now())
        return 0
    lease_ends = min(email.claimed_until for email in emails)
    sent = 0
    try:
        for index, email in enumerate(emails):
            now = timezone.now()
            if lease_ends - now < LEASE / 2:
                lease_ends = now + LEASE
                OutgoingEmail.objects.filter(
                    pk__in=[e.pk for e in emails[index:]], status=Status.SENDING
                ).update(claimed_until=lease_ends)
            try:
                connection.send_messages([build_message(email)])
            except (OSError, ValueError, smtplib.SMTPException) as exc:
                if _is_permanent(exc):
                    _mark_failed(email.pk, _reason(exc))
                else:
                    _mark_for_retry([email], exc, timezone.now())
                if isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
                    connection.close()
                    with contextlib.suppress(OSError, smtplib.SMTPException):
                        connection.open()
                continue
            _mark_sent(email.pk, timezone.now())
            sent += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
    return sent


def sweep(*, now: datetime | None = None) -> list[int]:
    """Take back rows whose sender's lease ran out, prune old rows, and return the ids of rows
    that should have been sent by now (their task was lost, or they are due a retry)."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = OutgoingEmail.objects.filter(status=Status.SENDING, claimed_until__lt=now)
        expired.filter(attempts__gte=MAX_ATTEMPTS).update(
            status=Status.FAILED,
            claimed_until=None,
            last_error=Concat(
                Value(f"Gave up after {MAX_ATTEMPTS} attempts: the sender stopped while sending. "),
                F("last_error"),
            ),
        )
        expired.update(status=Status.QUEUED, claimed_until=None)
    OutgoingEmail.objects.filter(
        status__in=[Status.SENT, Status.FAILED], created_at__lt=now - KEEP_FOR
    ).delete()
    return list(
        OutgoingEmail.objects.filter(status=Status.QUEUED, created_at__lte=now - STALE_AFTER)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
