"""Outgoing transactional email: render now, store in the outbox, send after commit.

Every app's emails.py builds its messages with `queue_email`, which renders a subject, a text
part and an HTML part from templates and stores one outbox row per recipient in the caller's
transaction. Once it commits a worker sends them (in-process when no broker is configured); if
the broker is down they wait in the outbox and the minutely sweep sends them when it is back.

Each email is written in its recipient's language (see `language_for`): subject, text, HTML and
the site links in the context all follow it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from accounts.languages import path_in_language, supported
from accounts.models import User
from outbox.services import outbox_add, outbox_forget
from outbox.tasks import send_outbox

# The task that sends stored email (tests switch its Celery app to run tasks in-process).
send_email = send_outbox


def absolute_url(path: str) -> str:
    """A link for an email: emails are read away from the site, so links carry SITE_URL."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


def language_for(recipient: User | str, *, default: str | None = None) -> str:
    """The language to write to `recipient` in, a User or an email address.

    The rule: a person with an account gets the language they chose (`User.language`). An
    address without an account gets `default`, else the site's language (English): the page
    being served is someone else's choice, not the recipient's (a case study's contact asked a
    question by a Welsh reader). allauth passes the page's language as `default`, because its
    mails without an account go to the person using that page. One query for an address,
    none for a User.
    """
    if isinstance(recipient, User):
        return supported(recipient.language)
    return languages_for([recipient], default=default)[recipient]


def languages_for(addresses: list[str], *, default: str | None = None) -> dict[str, str]:
    """{address: language} for many addresses, in one query (see `language_for`)."""
    chosen = dict(
        User.objects.filter(email__in=[address.lower() for address in addresses]).values_list("email", "language")
    )
    fallback = supported(default or settings.LANGUAGE_CODE)
    return {address: supported(chosen.get(address.lower(), fallback)) for address in addresses}


def link_in_language(url: str, language: str) -> str:
    """A link to this site moved to `language` (/cy/... for Welsh); other links, and paths that
    only exist in English, are left as they are."""
    if not isinstance(url, str) or not url.startswith(settings.SITE_URL + "/"):
        return url
    path = url[len(settings.SITE_URL) :]
    bare, mark, rest = path.partition("?")
    moved = path_in_language(bare, language, fallback_home=False)
    return settings.SITE_URL + moved + mark + rest


def render_email(template_prefix: str, context: dict, *, language: str | None = None) -> tuple[str, str, str]:
    """Render `<prefix>_subject.txt`, `<prefix>.txt` and `<prefix>.html` in `language` (the
    active language when not given): translated text, and the context's site links (`..._url`
    values on SITE_URL) pointing at the pages in that language."""
    language = supported(language or translation.get_language())
    with translation.override(language):
        context = {
            "SITE_URL": settings.SITE_URL,
            "SITE_NAME": "Anchors Learning Network",
            **{key: link_in_language(value, language) for key, value in context.items()},
            "LANGUAGE_CODE": language,
        }
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        text = render_to_string(f"{template_prefix}.txt", context)
        html = render_to_string(f"{template_prefix}.html", context)
    return subject, text, html


def queue_email(
    *,
    to: list[str] | str,
    template_prefix: str,
    context: dict,
    headers: dict | None = None,
    language: str | None = None,
) -> None:
    """Render the email now, store it for each recipient, and send it once the current
    transaction commits.

    Language rule: each recipient gets it in their own language, `language_for(address)`:
    the language chosen on their account, English for an address with no account.
    `language` forces one language for everyone (a preview, a test send). Recipients are
    grouped by language, so the email is rendered once per language, not once per person.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        return
    chosen = dict.fromkeys(recipients, language) if language else languages_for(recipients)
    for each_language in sorted(set(chosen.values())):
        group = [address for address in recipients if chosen[address] == each_language]
        subject, text, html = render_email(template_prefix, context, language=each_language)
        outbox_add(to=group, subject=subject, text=text, html=html, headers=headers)


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
