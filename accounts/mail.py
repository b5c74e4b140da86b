"""Outgoing transactional email: render now, store in the outbox, send after commit.

Every app's emails.py builds its messages with `queue_email`, which renders a subject, a text
part and an HTML part from templates and stores one outbox row per recipient in the caller's
transaction. Once it commits a worker sends them (in-process when no broker is configured); if
the broker is down they wait in the outbox and the minutely sweep sends them when it is back.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from outbox.services import outbox_add, outbox_forget
from outbox.tasks import send_outbox

# The task that sends stored email (tests switch its Celery app to run tasks in-process).
send_email = send_outbox


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
    """Render the email now, store it for each recipient, and send it once the current
    transaction commits."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        return
    subject, text, html = render_email(template_prefix, context)
    outbox_add(to=recipients, subject=subject, text=text, html=html, headers=headers)


def queue_message(message: EmailMessage) -> None:
    """Store an already rendered message (allauth's) in the outbox, like `queue_email`."""
    html = next((content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
    text = message.body
    if message.content_subtype == "html":
        text, html = "", message.body
    outbox_add(
        to=list(message.to),
        subject=message.subject,
        text=text,
        html=html,
        headers=dict(message.extra_headers),
    )


def forget_address(address: str) -> int:
    """Cancel and delete every stored email to `address` (for account deletion).
    Returns the number of rows deleted."""
    return outbox_forget(address=address)
