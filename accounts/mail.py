"""Outgoing transactional email: render now, send after the transaction commits.

Every app's emails.py builds its messages with `queue_email`, which renders a subject, a text
part and an HTML part from templates and hands them to a Celery task once the surrounding
transaction commits (in-process when no broker is configured).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    """A link for an email: emails are read away from the site, so links carry SITE_URL."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


def render_email(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """Render `<prefix>_subject.txt`, `<prefix>.txt` and `<prefix>.html`."""
    context = {"SITE_URL": settings.SITE_URL, "SITE_NAME": "Anchors Learning Network", **context}
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    return subject, text, html


def queue_email(
    *, to: list[str] | str, template_prefix: str, context: dict, headers: dict | None = None
) -> None:
    """Render the email now and send it once the current transaction commits."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        return
    subject, text, html = render_email(template_prefix, context)
    payload = {"to": recipients, "subject": subject, "text": text, "html": html, "headers": headers or {}}
    transaction.on_commit(lambda: send_email.delay(payload))


@shared_task(name="accounts.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(payload: dict) -> None:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        headers=payload.get("headers") or {},
    )
    message.attach_alternative(payload["html"], "text/html")
    message.send()
