"""Digests: every change of state a person (or the scheduler) makes, one function each.

Coordinators compose, edit, schedule, cancel, send and retry their digests; every member sets
their digest preferences; anyone holding a signed unsubscribe link can unsubscribe; the beat (or
`send_digests`) starts Monday's personal run. Each function checks who may do it and from which
state, runs in a transaction, and hands the sending to the ledger (`network.digests` gives it
the Celery task that sends a chunk). Refusals raise the shared `NotAllowed` / `InvalidState`.

`network.services` re-exports these, so views call `services.digest_schedule(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from anchors.models import Pillar, Region, is_coordinator
from anchors.services import InvalidState, NotAllowed
from casestudies.models import CaseStudy, Resource
from resilience.broker import safe_delay

from . import digests, tasks
from .models import Digest, DigestPreference, Group

EDITABLE = (Digest.Status.DRAFT, Digest.Status.SCHEDULED)


def _coordinator_only(by: User) -> None:
    if not is_coordinator(by):
        raise NotAllowed(_("Only network coordinators can send digests."))


def _coordinators_digest(digest: Digest) -> None:
    if digest.kind != Digest.Kind.COORDINATOR:
        raise InvalidState(_("Only coordinators' digests can be changed here."))


def _locked_editable(digest: Digest, refusal: str) -> Digest:
    """The digest, locked, while it is still a draft or scheduled; otherwise a clear refusal."""
    locked = Digest.objects.select_for_update().get(pk=digest.pk)
    if locked.status not in EDITABLE:
        raise InvalidState(refusal)
    return locked


def digest_create(
    *,
    subject: str,
    introduction: str,
    audience: str,
    case_studies: Iterable[CaseStudy] = (),
    resources: Iterable[Resource] = (),
    regions: Iterable[Region] = (),
    groups: Iterable[Group] = (),
    by: User,
) -> Digest:
    """A new coordinator's digest, as a draft to preview, test and then send or schedule."""
    _coordinator_only(by)
    with transaction.atomic():
        digest = Digest.objects.create(
            kind=Digest.Kind.COORDINATOR, subject=subject, introduction=introduction, audience=audience,
            created_by=by,
        )
        digest.case_studies.set(case_studies)
        digest.resources.set(resources)
        digest.regions.set(regions)
        digest.groups.set(groups)
    return digest


def digest_edit(
    *,
    digest: Digest,
    subject: str,
    introduction: str,
    audience: str,
    case_studies: Iterable[CaseStudy] = (),
    resources: Iterable[Resource] = (),
    regions: Iterable[Region] = (),
    groups: Iterable[Group] = (),
    by: User,
) -> Digest:
    """Change a draft or scheduled digest (a scheduled one keeps its time)."""
    _coordinator_only(by)
    _coordinators_digest(digest)
    with transaction.atomic():
        digest = _locked_editable(
            digest, _("This digest has already started sending, so it cannot be changed.")
        )
        digest.subject, digest.introduction, digest.audience = subject, introduction, audience
        digest.save(update_fields=["subject", "introduction", "audience"])
        digest.case_studies.set(case_studies)
        digest.resources.set(resources)
        digest.regions.set(regions)
        digest.groups.set(groups)
    return digest


def digest_schedule(*, digest: Digest, send_at: datetime, by: User) -> Digest:
    """Send a draft (or move a scheduled digest) at a later time; the beat starts it then."""
    _coordinator_only(by)
    _coordinators_digest(digest)
    if send_at <= timezone.now():
        raise InvalidState(_("The time to send must be in the future."))
    with transaction.atomic():
        digest = _locked_editable(
            digest, _("This digest has already started sending, so it cannot be scheduled.")
        )
        digest.status = Digest.Status.SCHEDULED
        digest.send_at = send_at
        digest.save(update_fields=["status", "send_at"])
    return digest


def digest_schedule_cancel(*, digest: Digest, by: User) -> Digest:
    """Call off a scheduled send: the digest goes back to draft, noting who and when."""
    _coordinator_only(by)
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest.pk)
        if digest.status != Digest.Status.SCHEDULED:
            if digest.status in (Digest.Status.SENDING, Digest.Status.SENT):
                raise InvalidState(_("This digest has already started sending, so it cannot be cancelled."))
            raise InvalidState(_("This digest is not scheduled."))
        digest.status = Digest.Status.DRAFT
        digest.send_at = None
        digest.schedule_cancelled_at = timezone.now()
        digest.schedule_cancelled_by = by
        digest.save(update_fields=["status", "send_at", "schedule_cancelled_at", "schedule_cancelled_by"])
    return digest


def digest_send_now(*, digest: Digest, by: User) -> bool:
    """Send a composed digest to its audience now, after the coordinator has confirmed.
    Returns False when it had already been started (a second click sends nothing)."""
    _coordinator_only(by)
    if digest.kind != Digest.Kind.COORDINATOR:
        raise InvalidState(_("Only coordinators' digests are sent this way."))
    now = timezone.now()
    with transaction.atomic():
        # "Send now" on a scheduled digest brings its time forward to now.
        Digest.objects.filter(pk=digest.pk, status=Digest.Status.SCHEDULED).update(send_at=now)
        return digests.digest_start(digest_id=digest.pk, now=now)


def digest_send_test(*, digest: Digest, by: User) -> None:
    """A copy to the coordinator alone, marked as a test; it writes no delivery row."""
    _coordinator_only(by)
    _coordinators_digest(digest)
    digest_id, user_id = digest.pk, by.pk
    transaction.on_commit(lambda: safe_delay(tasks.send_test_digest, digest_id, user_id))


def digest_retry(*, digest: Digest, by: User) -> int:
    """Try again the addresses worth another try (temporary failures; never an address the
    server refused for good). Returns how many will be tried."""
    _coordinator_only(by)
    _coordinators_digest(digest)
    if digest.status in EDITABLE:
        raise InvalidState(_("This digest has not been sent yet, so there is nothing to try again."))
    return digests.retry_failed(digest_id=digest.pk)


def digest_preferences_update(
    *,
    frequency: str,
    coordinator_digests: bool,
    pillars: Iterable[Pillar] = (),
    regions: Iterable[Region] = (),
    by: User,
) -> DigestPreference:
    """A person's own choice of digests: how often the personal one comes, what it follows, and
    whether they receive the coordinators' digests."""
    if not by.is_authenticated:
        raise NotAllowed(_("Sign in to choose your digest emails."))
    if frequency not in DigestPreference.Frequency.values:
        raise InvalidState(_("Choose how often you want a personal digest."))
    with transaction.atomic():
        preference, _created = DigestPreference.objects.select_for_update().get_or_create(user=by)
        preference.frequency = frequency
        preference.coordinator_digests = coordinator_digests
        preference.save(update_fields=["frequency", "coordinator_digests"])
        preference.pillars.set(pillars)
        preference.regions.set(regions)
    return preference


def digest_unsubscribe(*, token: str) -> str:
    """One click from an email: the signed token says who and from which kind of digest (no
    sign-in: holding the link is the permission). Returns the kind. Running it twice is harmless."""
    found = digests.read_unsubscribe_token(token)
    if found is None:
        raise NotAllowed(_("This unsubscribe link is not valid or has expired."))
    user_id, kind = found
    with transaction.atomic():
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise InvalidState(_("The account this link was sent to no longer exists."))
        preference, _created = DigestPreference.objects.select_for_update().get_or_create(user=user)
        if kind == Digest.Kind.PERSONAL:
            preference.frequency = DigestPreference.Frequency.NEVER
            preference.save(update_fields=["frequency"])
        else:
            preference.coordinator_digests = False
            preference.save(update_fields=["coordinator_digests"])
    return kind


def digest_personal_run(*, now: datetime | None = None) -> tuple[Digest | None, int]:
    """Start this Monday's personal digests (the beat at 08:00, or `send_digests`): a second call
    writes and queues only what the first did not. Returns the run and how many it queued."""
    return digests.personal_digests_queue(now)
