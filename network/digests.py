"""Digest emails: audience, the delivery ledger, rendering and sending.

The ledger (Delivery) is written before anything is sent. Sending happens in chunks; each chunk
claims its rows in a short transaction (queued -> sending, skip_locked), sends them over one SMTP
connection and marks each row sent as soon as the server accepts it. A chunk that dies mid-way
is redelivered (acks_late + reject_on_worker_lost) with the same task id and finishes the rows it
had claimed; rows already marked sent are never sent again. Rows left in 'sending' by a lost
task are reclaimed after LEASE by `dispatch_due`.
"""

from __future__ import annotations

import contextlib
import smtplib
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.mail import absolute_url
from anchors.models import Membership, Organisation
from casestudies.models import CaseStudy

from .models import (
    Delivery,
    Digest,
    DigestedItem,
    DigestPreference,
    Event,
    Group,
    GroupMembership,
    Thread,
)

User = get_user_model()
CHUNK_SIZE = 100
LEASE = timedelta(minutes=5)
# Transient failures are retried; a row that still fails after this many tries is marked
# failed (with its last error) so the digest can finish and the report can offer a retry.
MAX_ATTEMPTS = 5
LONDON = ZoneInfo("Europe/London")
SITE_NAME = "Anchors Learning Network"


class TransientSendError(Exception):
    """The mail server could not take a message now; try again later."""


# --- Unsubscribe tokens -------------------------------------------------------------------------


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


# --- Audience -----------------------------------------------------------------------------------


def network_people():
    """People who may receive digests: active members of a verified organisation."""
    return User.objects.filter(
        is_active=True,
        memberships__status=Membership.Status.ACTIVE,
        memberships__organisation__status=Organisation.Status.VERIFIED,
    ).distinct()


def coordinator_audience(digest: Digest):
    people = network_people().exclude(digest_preference__coordinator_digests=False)
    if digest.audience == Digest.Audience.REGIONS:
        people = people.filter(
            memberships__status=Membership.Status.ACTIVE,
            memberships__organisation__region__in=digest.regions.all(),
        )
    elif digest.audience == Digest.Audience.GROUPS:
        people = people.filter(
            group_memberships__status=GroupMembership.Status.ACTIVE,
            group_memberships__group__in=digest.groups.all(),
        )
    return people.distinct()


def suggested_case_studies():
    """Case studies published since the last coordinator's digest went out."""
    last = (
        Digest.objects.filter(kind=Digest.Kind.COORDINATOR, status=Digest.Status.SENT)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    qs = CaseStudy.objects.published()
    return qs.filter(published_at__gt=last) if last else qs[:10]


# --- Starting a digest: draft/scheduled -> sending, exactly once -------------------------------


def digest_start(*, digest_id: int, now: datetime | None = None) -> bool:
    """Write the ledger and fan out. Returns False when the digest was already started."""
    now = now or timezone.now()
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest_id)
        if digest.status not in (Digest.Status.DRAFT, Digest.Status.SCHEDULED):
            return False
        if digest.status == Digest.Status.SCHEDULED and digest.send_at and digest.send_at > now:
            return False
        recipient_ids = list(coordinator_audience(digest).values_list("pk", flat=True))
        Delivery.objects.bulk_create(
            [Delivery(digest=digest, recipient_id=pk) for pk in recipient_ids],
            ignore_conflicts=True,
            batch_size=1000,
        )
        digest.status = Digest.Status.SENDING
        digest.started_at = now
        digest.save(update_fields=["status", "started_at"])
        transaction.on_commit(lambda: fan_out(digest_id))
    return True


def fan_out(digest_id: int) -> int:
    """Queue one task per chunk of queued rows. Returns the number of chunks."""
    from .tasks import send_chunk

    ids = list(
        Delivery.objects.filter(digest_id=digest_id, status=Delivery.Status.QUEUED).values_list(
            "pk", flat=True
        )
    )
    chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
    for chunk in chunks:
        send_chunk.delay(chunk)
    if not chunks:
        finish_if_done(digest_id)
    return len(chunks)


def dispatch_due(now: datetime | None = None) -> int:
    """Start scheduled digests that are due and re-queue rows whose sender was lost."""
    now = now or timezone.now()
    started = 0
    due = Digest.objects.filter(status=Digest.Status.SCHEDULED, send_at__lte=now)
    for digest_id in due.values_list("pk", flat=True):
        started += digest_start(digest_id=digest_id, now=now)
    stale = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - LEASE)
    stale_digests = set(stale.values_list("digest_id", flat=True))
    stale.update(status=Delivery.Status.QUEUED, claimed_by="")
    # Rows nobody ever claimed, a lease after sending began: their chunk task was lost before
    # it started. Queueing them again is safe, since a row is only sent by whoever claims it.
    stale_digests |= set(
        Delivery.objects.filter(
            status=Delivery.Status.QUEUED,
            claimed_at__isnull=True,
            digest__status=Digest.Status.SENDING,
            digest__started_at__lt=now - LEASE,
        ).values_list("digest_id", flat=True)
    )
    for digest_id in stale_digests:
        fan_out(digest_id)
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING).values_list("pk", flat=True):
        finish_if_done(digest_id)
    return started


def finish_if_done(digest_id: int) -> None:
    busy = Delivery.objects.filter(
        digest_id=digest_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    if not busy.exists():
        Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
            status=Digest.Status.SENT, finished_at=timezone.now()
        )


# --- Sending one chunk ------------------------------------------------------------------------


def claim(delivery_ids: list[int], *, claimer: str, now: datetime | None = None) -> list[int]:
    """Move this chunk's queued rows (and rows this claimer or a lost one held) to sending."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=delivery_ids)
            .filter(
                Q(status=Delivery.Status.QUEUED)
                | Q(status=Delivery.Status.SENDING, claimed_by=claimer)
                | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - LEASE)
            )
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.SENDING, claimed_at=now, claimed_by=claimer, attempts=F("attempts") + 1
        )
    return ids


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def send_claimed(delivery_ids: list[int]) -> list[int]:
    """Send the claimed rows over one connection. Returns the ids to try again later."""
    messages = build_messages(delivery_ids)
    retry: list[int] = []
    if not messages:
        return retry
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        Delivery.objects.filter(pk__in=[d for d, _m in messages]).update(
            status=Delivery.Status.QUEUED, last_error=str(exc)[:500], claimed_by=""
        )
        return _give_up_on_exhausted([d for d, _m in messages])
    try:
        for delivery_id, message in messages:
            message.connection = connection
            try:
                message.send()
            except (OSError, smtplib.SMTPException) as exc:
                if _is_permanent(exc):
                    Delivery.objects.filter(pk=delivery_id).update(
                        status=Delivery.Status.FAILED, last_error=str(exc)[:500]
                    )
                else:
                    Delivery.objects.filter(pk=delivery_id).update(
                        status=Delivery.Status.QUEUED, last_error=str(exc)[:500], claimed_by=""
                    )
                    retry.append(delivery_id)
                    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                        connection.close()
                        with contextlib.suppress(OSError, smtplib.SMTPException):
                            connection.open()
                continue
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
            )
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
    return _give_up_on_exhausted(retry)


def _give_up_on_exhausted(retry: list[int]) -> list[int]:
    """Mark rows that have used up their attempts as failed; return the rest to retry."""
    if not retry:
        return retry
    exhausted = Delivery.objects.filter(pk__in=retry, attempts__gte=MAX_ATTEMPTS)
    given_up = set(exhausted.values_list("pk", flat=True))
    exhausted.update(
        status=Delivery.Status.FAILED,
        last_error=Concat(Value(f"Gave up after {MAX_ATTEMPTS} attempts: "), F("last_error")),
    )
    return [pk for pk in retry if pk not in given_up]


# --- Rendering ----------------------------------------------------------------------------------


def _case_study_item(case_study) -> dict:
    return {
        "title": case_study.title,
        "summary": case_study.summary,
        "organisation": case_study.organisation.name,
        "url": absolute_url(case_study.get_absolute_url()),
    }


def digest_context(*, digest: Digest, recipient, case_studies, threads=(), events=()) -> dict:
    kind = digest.kind
    return {
        "digest": digest,
        "recipient": recipient,
        "case_studies": case_studies,
        "threads": threads,
        "events": events,
        "unsubscribe_url": unsubscribe_url(user_id=recipient.pk, kind=kind),
        "preferences_url": absolute_url(reverse("network:preferences")),
        "SITE_URL": settings.SITE_URL,
        "SITE_NAME": SITE_NAME,
    }


def render_digest(context: dict) -> tuple[str, str, str]:
    digest = context["digest"]
    subject = " ".join(digest.subject.split())
    text = render_to_string("network/emails/digest.txt", context)
    html = render_to_string("network/emails/digest.html", context)
    return subject, text, html


def make_message(*, digest: Digest, recipient, context: dict) -> EmailMultiAlternatives:
    subject, text, html = render_digest(context)
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


def build_messages(delivery_ids: list[int]) -> list[tuple[int, EmailMultiAlternatives]]:
    """Messages for the chunk's rows, in a fixed number of queries whatever the chunk's size."""
    deliveries = list(
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.SENDING)
        .select_related("recipient", "digest")
        .order_by("pk")
    )
    if not deliveries:
        return []
    digest = deliveries[0].digest
    if digest.kind == Digest.Kind.COORDINATOR:
        shared = coordinator_items(digest)
        return [
            (
                d.pk,
                make_message(
                    digest=digest,
                    recipient=d.recipient,
                    context=digest_context(digest=digest, recipient=d.recipient, case_studies=shared),
                ),
            )
            for d in deliveries
        ]
    # Personal digests: each row carries its chosen item ids; fetch them all at once.
    wanted = {"case_studies": set(), "threads": set(), "events": set()}
    for d in deliveries:
        for key in wanted:
            wanted[key].update(d.items.get(key, []))
    case_studies = {
        cs.pk: _case_study_item(cs)
        for cs in CaseStudy.objects.filter(pk__in=wanted["case_studies"]).select_related("organisation")
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
        context = digest_context(
            digest=digest,
            recipient=d.recipient,
            case_studies=[case_studies[i] for i in d.items.get("case_studies", []) if i in case_studies],
            threads=[threads[i] for i in d.items.get("threads", []) if i in threads],
            events=[events[i] for i in d.items.get("events", []) if i in events],
        )
        result.append((d.pk, make_message(digest=digest, recipient=d.recipient, context=context)))
    return result


def test_message(*, digest: Digest, to) -> EmailMultiAlternatives:
    context = digest_context(digest=digest, recipient=to, case_studies=coordinator_items(digest))
    message = make_message(digest=digest, recipient=to, context=context)
    stable = message_id(digest_id=digest.pk, user_id=to.pk)
    message.extra_headers["Message-ID"] = stable.replace("@", f"-test-{timezone.now().timestamp():.0f}@", 1)
    message.subject = f"[Test] {message.subject}"
    return message


# --- Personal digests -------------------------------------------------------------------------


def personal_digest_due(now: datetime, frequency: str) -> bool:
    """Monday from 08:00 London time; monthly ones on the first Monday of the month only."""
    local = timezone.localtime(now, LONDON)
    if local.weekday() != 0 or local.hour < 8:
        return False
    if frequency == DigestPreference.Frequency.WEEKLY:
        return True
    if frequency == DigestPreference.Frequency.MONTHLY:
        return local.day <= 7
    return False


def personal_items(user, *, since: datetime, now: datetime) -> dict:
    pref = DigestPreference.objects.filter(user=user).first()
    group_ids = list(
        GroupMembership.objects.filter(user=user, status=GroupMembership.Status.ACTIVE).values_list(
            "group_id", flat=True
        )
    )
    groups = Group.objects.filter(pk__in=group_ids)
    region_ids = set(groups.exclude(region=None).values_list("region_id", flat=True))
    pillar_ids = set(groups.exclude(pillar=None).values_list("pillar_id", flat=True))
    # Their own organisations' regions, plus any they chose.
    region_ids |= set(
        Membership.objects.active()
        .filter(user=user, organisation__status=Organisation.Status.VERIFIED)
        .values_list("organisation__region_id", flat=True)
    )
    if pref:
        region_ids |= set(pref.regions.values_list("pk", flat=True))
        pillar_ids |= set(pref.pillars.values_list("pk", flat=True))
    done = DigestedItem.objects.filter(user=user)
    seen = {kind: set() for kind in DigestedItem.Kind.values}
    for kind, object_id in done.values_list("kind", "object_id"):
        seen[kind].add(object_id)
    case_studies = []
    if region_ids or pillar_ids:
        case_studies = list(
            CaseStudy.objects.published()
            .filter(published_at__gt=since)
            .filter(Q(organisation__region_id__in=region_ids) | Q(pillars__in=pillar_ids))
            .exclude(pk__in=seen[DigestedItem.Kind.CASE_STUDY])
            .distinct()
            .order_by("-published_at")
            .values_list("pk", flat=True)[:10]
        )
    threads = list(
        Thread.objects.filter(group_id__in=group_ids, created_at__gt=since)
        .exclude(author=user)
        .exclude(pk__in=seen[DigestedItem.Kind.THREAD])
        .order_by("-created_at")
        .values_list("pk", flat=True)[:10]
    )
    events = list(
        Event.objects.filter(group_id__in=group_ids, starts_at__gte=now)
        .exclude(pk__in=seen[DigestedItem.Kind.EVENT])
        .order_by("starts_at")
        .values_list("pk", flat=True)[:10]
    )
    return {"case_studies": case_studies, "threads": threads, "events": events}


def personal_digests_run(now: datetime | None = None) -> Digest | None:
    """This Monday's personal digests: one ledger row per person with something new."""
    return personal_digests_queue(now)[0]


def personal_digests_queue(now: datetime | None = None) -> tuple[Digest | None, int]:
    """Queue this Monday's personal digests. Returns the run (None when none are due) and how
    many this call queued (a second call the same Monday queues only those still missing)."""
    now = now or timezone.now()
    local = timezone.localtime(now, LONDON)
    if local.weekday() != 0 or local.hour < 8:
        return None, 0
    queued = 0
    run_at = local.replace(hour=8, minute=0, second=0, microsecond=0)
    digest, created = Digest.objects.get_or_create(
        kind=Digest.Kind.PERSONAL,
        send_at=run_at,
        defaults={"subject": "Your Anchors Learning Network digest", "status": Digest.Status.SENDING,
                  "started_at": now},
    )
    prefs = {p.user_id: p for p in DigestPreference.objects.all()}
    for user in network_people().exclude(digest_deliveries__digest=digest):
        pref = prefs.get(user.pk)
        frequency = pref.frequency if pref else DigestPreference.Frequency.WEEKLY
        if not personal_digest_due(now, frequency):
            continue
        default_since = now - (timedelta(weeks=5) if frequency == "monthly" else timedelta(days=7))
        since = (pref.last_personal_digest_at if pref and pref.last_personal_digest_at else default_since)
        items = personal_items(user, since=since, now=now)
        if not any(items.values()):
            continue  # never an empty digest
        with transaction.atomic():
            delivery, made = Delivery.objects.get_or_create(digest=digest, recipient=user, defaults={"items": items})
            if not made:
                continue
            queued += 1
            DigestedItem.objects.bulk_create(
                [
                    DigestedItem(user=user, kind=kind, object_id=object_id, delivery=delivery)
                    for key, kind in (
                        ("case_studies", DigestedItem.Kind.CASE_STUDY),
                        ("threads", DigestedItem.Kind.THREAD),
                        ("events", DigestedItem.Kind.EVENT),
                    )
                    for object_id in items[key]
                ],
                ignore_conflicts=True,
            )
            DigestPreference.objects.update_or_create(user=user, defaults={"last_personal_digest_at": now})
    if digest.status != Digest.Status.SENT:
        Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENDING)
        transaction.on_commit(lambda: fan_out(digest.pk))
    return digest, queued
