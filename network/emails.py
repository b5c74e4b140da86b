"""Every email the network app sends: small functions for learning-group messages, queued
through the outbox, and the digest messages the ledger (`network.ledger`) builds for the rows it
has claimed (rendering only: nothing here writes to the database)."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.languages import supported
from accounts.mail import absolute_url, language_for, link_in_language, queue_email
from accounts.models import User
from casestudies.models import CaseStudy, Resource

from .models import Delivery, Digest, Event, Thread
from .unsubscribe import message_id, unsubscribe_token, unsubscribe_url


def join_requested(*, membership, leads) -> None:
    group = membership.group
    queue_email(
        to=[lead.email for lead in leads],
        template_prefix="network/emails/join_requested",
        context={
            "membership": membership,
            "group": group,
            "requests_url": absolute_url(reverse("network:requests", kwargs={"slug": group.slug})),
        },
    )


def join_decided(*, membership) -> None:
    queue_email(
        to=membership.user.email,
        template_prefix="network/emails/join_decided",
        context={
            "membership": membership,
            "group": membership.group,
            "approved": membership.status == membership.Status.ACTIVE,
            "group_url": absolute_url(membership.group.get_absolute_url()),
        },
    )


def reply_posted(*, post, to) -> None:
    thread = post.thread
    queue_email(
        to=to.email,
        template_prefix="network/emails/reply_posted",
        context={
            "post": post,
            "thread": thread,
            "recipient": to,
            "thread_url": absolute_url(thread.get_absolute_url()),
            "settings_url": absolute_url(thread.get_absolute_url()),
        },
    )


def post_reported(*, report, to) -> None:
    thread = report.post.thread
    queue_email(
        to=[person.email for person in to],
        template_prefix="network/emails/post_reported",
        context={
            "report": report,
            "thread": thread,
            "group": thread.group,
            "reports_url": absolute_url(reverse("network:reports", kwargs={"slug": thread.group.slug})),
        },
    )


LONDON = ZoneInfo("Europe/London")
SITE_NAME = "Anchors Learning Network"
# The personal digests' subject as stored on the run; each reader gets it in their language.
PERSONAL_SUBJECT = "Your Anchors Learning Network digest"


# --- Rendering ----------------------------------------------------------------------------------


def _case_study_item(case_study) -> dict:
    return {
        "title": case_study.title,
        "summary": case_study.summary,
        "organisation": case_study.organisation.name,
        "url": absolute_url(case_study.get_absolute_url()),
    }


def _resource_item(resource) -> dict:
    return {
        "title": resource.title,
        "summary": resource.summary,
        # The label itself (lazy), so each reader sees the kind in their own language.
        "kind": Resource.Kind(resource.kind).label if resource.kind in Resource.Kind.values else resource.kind,
        "organisation": resource.made_by,
        "url": absolute_url(resource.get_absolute_url()),
    }


@lru_cache(maxsize=4096)
def _link_in(url: str, language: str, site_url: str) -> str:
    # site_url is part of the key: the same path on another SITE_URL is another link.
    return link_in_language(url, language)


def _in_language(items, language: str) -> list[dict]:
    """The items with their links moved to the pages in `language` (/cy/... for Welsh)."""
    if language == settings.LANGUAGE_CODE:
        return list(items)
    return [{**item, "url": _link_in(item["url"], language, settings.SITE_URL)} for item in items]


def digest_context(
    *, digest: Digest, recipient, case_studies, resources=(), threads=(), events=(), language: str | None = None
) -> dict:
    """What a digest email shows, in `language`: the recipient's own (`User.language`) unless
    given. The coordinator's subject and introduction stay as they wrote them."""
    if language is None:
        language = language_for(recipient) if isinstance(recipient, User) else translation.get_language()
    language = supported(language)
    with translation.override(language):
        unsubscribe = unsubscribe_url(user_id=recipient.pk, kind=digest.kind)
        preferences = absolute_url(reverse("network:preferences"))
    return {
        "digest": digest,
        "recipient": recipient,
        "case_studies": _in_language(case_studies, language),
        "resources": _in_language(resources, language),
        "threads": _in_language(threads, language),
        "events": _in_language(events, language),
        "unsubscribe_url": unsubscribe,
        "preferences_url": preferences,
        "SITE_URL": settings.SITE_URL,
        "SITE_NAME": SITE_NAME,
        "LANGUAGE_CODE": language,
    }


def digest_subject(digest: Digest) -> str:
    """A coordinator's subject as written; the personal digests' own subject in the active language."""
    if digest.kind == Digest.Kind.PERSONAL and digest.subject == PERSONAL_SUBJECT:
        return gettext("Your Anchors Learning Network digest")
    return " ".join(digest.subject.split())


def render_digest(context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML in the context's language (`digest_context` sets it)."""
    with translation.override(context.get("LANGUAGE_CODE") or translation.get_language()):
        subject = digest_subject(context["digest"])
        context = {**context, "subject": subject}
        text = render_to_string("network/emails/digest.txt", context)
        html = render_to_string("network/emails/digest.html", context)
    return subject, text, html


def make_message(*, digest: Digest, recipient, context: dict) -> EmailMultiAlternatives:
    return _message(digest=digest, recipient=recipient, context=context, parts=render_digest(context))


def _message(*, digest: Digest, recipient, context: dict, parts: tuple[str, str, str]) -> EmailMultiAlternatives:
    subject, text, html = parts
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Message-ID": message_id(digest_id=digest.pk, user_id=recipient.pk),
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def coordinator_items(digest: Digest) -> list[dict]:
    return [
        _case_study_item(cs)
        for cs in digest.case_studies.select_related("organisation").order_by("-published_at")
    ]


def coordinator_resources(digest: Digest) -> list[dict]:
    return [
        _resource_item(resource)
        for resource in digest.resources.select_related("organisation", "partner_organisation").order_by(
            "-published_at", "-pk"
        )
    ]


# Marks a chunk's shared rendering leaves where each person's name and unsubscribe link go.
# Control characters: no name, link or template text contains them, and escaping leaves them be.
_NAME = "\x1fname\x1f"
_UNSUBSCRIBE = "\x1funsubscribe\x1f"
# reverse() quotes control characters, so the link is reversed around a plain word.
_SLOT = "slot-for-the-signed-token"


class _Anyone:
    """Stands in for the recipient while the parts everyone shares are rendered."""

    pk = 0
    full_name = email = _NAME


class ChunkRenderer:
    """Renders a chunk's messages, each template once per distinct set of items and language
    rather than once per person: the result is exactly what `render_digest` gives for each person
    (the tests compare them), at a fraction of the cost. Only the name (escaped in the HTML part)
    and the signed unsubscribe link differ from person to person; each person reads it in their
    own language (`User.language`, loaded with the chunk's rows: no extra query)."""

    def __init__(self, digest: Digest):
        self.digest = digest
        self.rendered: dict[object, tuple[str, str, str]] = {}
        self.unsubscribe_parts: dict[str, tuple[str, str]] = {}

    def _unsubscribe_parts(self, language: str) -> tuple[str, str]:
        # reverse() once per language: a signed token never contains a character the URL would quote.
        if language not in self.unsubscribe_parts:
            with translation.override(language):
                prefix, suffix = absolute_url(reverse("network:unsubscribe", kwargs={"token": _SLOT})).split(_SLOT)
            self.unsubscribe_parts[language] = (prefix, suffix)
        return self.unsubscribe_parts[language]

    def message(self, *, recipient, key: object, **items) -> EmailMultiAlternatives:
        language = language_for(recipient)
        if (language, key) not in self.rendered:
            context = digest_context(digest=self.digest, recipient=_Anyone(), language=language, **items)
            context["unsubscribe_url"] = _UNSUBSCRIBE
            self.rendered[(language, key)] = render_digest(context)
        subject, text, html = self.rendered[(language, key)]
        name = recipient.full_name or recipient.email
        token = unsubscribe_token(user_id=recipient.pk, kind=self.digest.kind)
        prefix, suffix = self._unsubscribe_parts(language)
        url = f"{prefix}{token}{suffix}"
        context = {"unsubscribe_url": url}
        text = text.replace(_NAME, name).replace(_UNSUBSCRIBE, url)
        html = html.replace(_NAME, escape(name)).replace(_UNSUBSCRIBE, escape(url))
        return _message(digest=self.digest, recipient=recipient, context=context, parts=(subject, text, html))


def build_messages(delivery_ids: list[int]) -> list[tuple[int, EmailMultiAlternatives]]:
    """Messages for the chunk's rows, in a fixed number of queries whatever the chunk's size or
    the mix of languages its readers chose."""
    # The items' links are built in English and moved to each reader's language as it renders.
    with translation.override(settings.LANGUAGE_CODE):
        return _build_messages(delivery_ids)


def _build_messages(delivery_ids: list[int]) -> list[tuple[int, EmailMultiAlternatives]]:
    deliveries = list(
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.SENDING)
        .select_related("recipient", "digest")
        .order_by("pk")
    )
    if not deliveries:
        return []
    digest = deliveries[0].digest
    renderer = ChunkRenderer(digest)
    if digest.kind == Digest.Kind.COORDINATOR:
        shared = {"case_studies": coordinator_items(digest), "resources": coordinator_resources(digest)}
        return [(d.pk, renderer.message(recipient=d.recipient, key=None, **shared)) for d in deliveries]
    # Personal digests: each row carries its chosen item ids; fetch them all at once.
    wanted = {"case_studies": set(), "resources": set(), "threads": set(), "events": set()}
    for d in deliveries:
        for key in wanted:
            wanted[key].update(d.items.get(key, []))
    case_studies = {
        cs.pk: _case_study_item(cs)
        for cs in CaseStudy.objects.filter(pk__in=wanted["case_studies"]).select_related("organisation")
    }
    resources = {
        r.pk: _resource_item(r)
        for r in Resource.objects.filter(pk__in=wanted["resources"]).select_related(
            "organisation", "partner_organisation"
        )
    }
    threads = {
        t.pk: {"title": t.title, "group": t.group.name, "url": absolute_url(t.get_absolute_url())}
        for t in Thread.objects.filter(pk__in=wanted["threads"]).select_related("group")
    }
    events = {
        e.pk: {
            "title": e.title,
            "group": e.group.name,
            "starts_at": timezone.localtime(e.starts_at, LONDON),
            "url": absolute_url(e.group.get_absolute_url()),
        }
        for e in Event.objects.filter(pk__in=wanted["events"]).select_related("group")
    }
    result = []
    for d in deliveries:
        chosen = {
            "case_studies": [i for i in d.items.get("case_studies", []) if i in case_studies],
            "resources": [i for i in d.items.get("resources", []) if i in resources],
            "threads": [i for i in d.items.get("threads", []) if i in threads],
            "events": [i for i in d.items.get("events", []) if i in events],
        }
        message = renderer.message(
            recipient=d.recipient,
            key=tuple(tuple(ids) for ids in chosen.values()),
            case_studies=[case_studies[i] for i in chosen["case_studies"]],
            resources=[resources[i] for i in chosen["resources"]],
            threads=[threads[i] for i in chosen["threads"]],
            events=[events[i] for i in chosen["events"]],
        )
        result.append((d.pk, message))
    return result


def test_message(*, digest: Digest, to) -> EmailMultiAlternatives:
    context = digest_context(
        digest=digest, recipient=to, case_studies=coordinator_items(digest), resources=coordinator_resources(digest)
    )
    message = make_message(digest=digest, recipient=to, context=context)
    stable = message_id(digest_id=digest.pk, user_id=to.pk)
    message.extra_headers["Message-ID"] = stable.replace("@", f"-test-{timezone.now().timestamp():.0f}@", 1)
    with translation.override(context["LANGUAGE_CODE"]):
        message.subject = gettext("[Test] %(subject)s") % {"subject": message.subject}
    return message
