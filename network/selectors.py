"""Reads for digests: who receives them and what each person's digest carries.

`personal_items_for` chooses the items for a whole chunk of people in a fixed number of queries
(as Zulip's digest does): it loads every candidate once and sorts them out per person in Python,
so a chunk of 500 costs the same twelve queries as a chunk of one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone
from taggit.models import TaggedItem

from anchors.models import Membership, Organisation
from casestudies.models import SECTION_FIELDS, SECTION_HTML_FIELDS, CaseStudy, Resource

from .models import (
    Delivery,
    Digest,
    DigestedItem,
    DigestPreference,
    Event,
    Follow,
    GroupMembership,
    SavedItem,
    Thread,
)

User = get_user_model()
LONDON = ZoneInfo("Europe/London")
ITEMS_PER_KIND = 10
WEEKLY_LOOKBACK = timedelta(days=7)
MONTHLY_LOOKBACK = timedelta(weeks=5)


# --- Audience -----------------------------------------------------------------------------------


def network_people() -> QuerySet:
    """People who may receive digests: active members of a verified organisation."""
    return User.objects.filter(
        is_active=True,
        memberships__status=Membership.Status.ACTIVE,
        memberships__organisation__status=Organisation.Status.VERIFIED,
    ).distinct()


def coordinator_audience(digest: Digest) -> QuerySet:
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


def _last_coordinator_digest_at() -> datetime | None:
    return (
        Digest.objects.filter(kind=Digest.Kind.COORDINATOR, status=Digest.Status.SENT)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def suggested_case_studies() -> QuerySet:
    """Case studies published since the last coordinator's digest went out."""
    last = _last_coordinator_digest_at()
    qs = CaseStudy.objects.published()
    return qs.filter(published_at__gt=last) if last else qs[:10]


def suggested_resources() -> QuerySet:
    """Resources published since the last coordinator's digest went out."""
    last = _last_coordinator_digest_at()
    qs = Resource.objects.published()
    return qs.filter(published_at__gt=last) if last else qs[:10]


# --- The delivery report -------------------------------------------------------------------------


def worth_retrying() -> Q:
    """Failed rows another try could still deliver: temporary failures (4xx replies, lost
    connections), not addresses the server refused for good (5xx)."""
    return Q(status=Delivery.Status.FAILED) & (Q(smtp_code__isnull=True) | Q(smtp_code__lt=500))


def delivery_failures(*, digest: Digest) -> QuerySet:
    """The addresses this digest did not reach, with the server's reason (`last_error`) and its
    reply code; `retryable` is False for permanent refusals, which the retry leaves alone.
    Refusals first, then by address; one query."""
    return (
        Delivery.objects.filter(digest=digest, status=Delivery.Status.FAILED)
        .select_related("recipient")
        .annotate(
            retryable=Case(When(worth_retrying(), then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by("retryable", "recipient__email")
    )


# --- When personal digests are due -----------------------------------------------------------------


def personal_run_time(now: datetime) -> datetime | None:
    """08:00 London time of this Monday's personal digests, or None before then or on other days.

    The one place the Monday 08:00 rule is written; the beat schedule fires at the same time."""
    local = timezone.localtime(now, LONDON)
    if local.weekday() != 0 or local.hour < 8:
        return None
    return local.replace(hour=8, minute=0, second=0, microsecond=0)


def personal_digest_due(now: datetime, frequency: str) -> bool:
    """Monday from 08:00 London time; monthly ones on the first Monday of the month only."""
    run_at = personal_run_time(now)
    if run_at is None:
        return False
    if frequency == DigestPreference.Frequency.WEEKLY:
        return True
    if frequency == DigestPreference.Frequency.MONTHLY:
        return run_at.day <= 7
    return False


def personal_due_frequencies(now: datetime) -> list[str]:
    return [f for f in DigestPreference.Frequency.values if personal_digest_due(now, f)]


def personal_candidate_ids(*, digest: Digest, now: datetime) -> list[int]:
    """Ids of the people whose personal digest is due and not yet written for this run."""
    frequencies = personal_due_frequencies(now)
    if not frequencies:
        return []
    due = Q(digest_preference__frequency__in=frequencies)
    if DigestPreference.Frequency.WEEKLY in frequencies:
        due |= Q(digest_preference__isnull=True)  # no preferences yet: weekly
    return list(
        network_people()
        .filter(due)
        .exclude(digest_deliveries__digest=digest)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- What each person's digest carries ---------------------------------------------------------------


def personal_items_for(user_ids: list[int], *, now: datetime) -> dict[int, dict[str, list[int]]]:
    """The items for each of these people, in a fixed number of queries whatever their number.

    For each person: case studies and resources published since their last digest in their
    regions (their organisations' and their groups', plus any they chose or follow), on their
    pillars (chosen or followed), from organisations they follow or with tags they follow; new
    threads in their groups by someone else; upcoming events in their groups. Nothing they have
    already had, at most ten of each. People with nothing new are left out, and so are people
    whose preferences say a digest is not due now."""
    if not user_ids:
        return {}
    users = set(user_ids)
    # 1. Preferences: how often, and since when.
    prefs = {
        p["user_id"]: p
        for p in DigestPreference.objects.filter(user_id__in=users).values(
            "pk", "user_id", "frequency", "last_personal_digest_at"
        )
    }
    pref_owner = {p["pk"]: user_id for user_id, p in prefs.items()}
    regions: dict[int, set[int]] = defaultdict(set)
    pillars: dict[int, set[int]] = defaultdict(set)
    groups: dict[int, set[int]] = defaultdict(set)
    organisations: dict[int, set[int]] = defaultdict(set)
    tags: dict[int, set[int]] = defaultdict(set)
    # 2, 3. The regions and pillars they chose.
    for pref_id, region_id in DigestPreference.regions.through.objects.filter(
        digestpreference_id__in=pref_owner
    ).values_list("digestpreference_id", "region_id"):
        regions[pref_owner[pref_id]].add(region_id)
    for pref_id, pillar_id in DigestPreference.pillars.through.objects.filter(
        digestpreference_id__in=pref_owner
    ).values_list("digestpreference_id", "pillar_id"):
        pillars[pref_owner[pref_id]].add(pillar_id)
    # 4. Their groups, with each group's region or pillar.
    for user_id, group_id, region_id, pillar_id in GroupMembership.objects.filter(
        user_id__in=users, status=GroupMembership.Status.ACTIVE
    ).values_list("user_id", "group_id", "group__region_id", "group__pillar_id"):
        groups[user_id].add(group_id)
        if region_id:
            regions[user_id].add(region_id)
        if pillar_id:
            pillars[user_id].add(pillar_id)
    # 5. Their own organisations' regions.
    for user_id, region_id in (
        Membership.objects.active()
        .filter(user_id__in=users, organisation__status=Organisation.Status.VERIFIED)
        .values_list("user_id", "organisation__region_id")
    ):
        if region_id:
            regions[user_id].add(region_id)
    # 6. What they follow: organisations, pillars, regions and tags.
    for user_id, organisation_id, pillar_id, region_id, tag_id in Follow.objects.filter(
        user_id__in=users
    ).values_list("user_id", "organisation_id", "pillar_id", "region_id", "tag_id"):
        for found, pk in ((organisations, organisation_id), (pillars, pillar_id), (regions, region_id), (tags, tag_id)):
            if pk:
                found[user_id].add(pk)

    since: dict[int, datetime] = {}
    for user_id in users:
        pref = prefs.get(user_id)
        frequency = pref["frequency"] if pref else DigestPreference.Frequency.WEEKLY
        if not personal_digest_due(now, frequency):
            continue
        lookback = MONTHLY_LOOKBACK if frequency == DigestPreference.Frequency.MONTHLY else WEEKLY_LOOKBACK
        since[user_id] = (pref and pref["last_personal_digest_at"]) or now - lookback
    if not since:
        return {}
    earliest = min(since.values())
    followed = {
        "region": set().union(*(regions[u] for u in since)),
        "pillar": set().union(*(pillars[u] for u in since)),
        "organisation": set().union(*(organisations[u] for u in since)),
        "tag": set().union(*(tags[u] for u in since)),
    }
    all_groups = set().union(*(groups[u] for u in since))

    # 7. Candidate case studies, one row per (case study, pillar), newest first.
    case_studies: dict[int, dict] = {}
    if any(followed.values()):
        rows = (
            CaseStudy.objects.published()
            .filter(published_at__gt=earliest)
            .filter(_case_studies_from(followed))
            .order_by("-published_at", "-pk")
            .values_list("pk", "published_at", "organisation__region_id", "organisation_id", "pillars")
        )
        for pk, published_at, region_id, organisation_id, pillar_id in rows:
            found = case_studies.setdefault(
                pk, {"at": published_at, "region": region_id, "organisations": {organisation_id}, "pillars": set()}
            )
            if pillar_id:
                found["pillars"].add(pillar_id)
    # 8. Candidate resources, one row per (resource, pillar), newest first.
    resources: dict[int, dict] = {}
    if any(followed.values()):
        rows = (
            Resource.objects.published()
            .filter(published_at__gt=earliest)
            .filter(_resources_from(followed))
            .order_by("-published_at", "-pk")
            .values_list(
                "pk", "published_at", "organisation__region_id", "organisation_id", "partner_organisation_id",
                "pillars",
            )
        )
        for pk, published_at, region_id, organisation_id, partner_id, pillar_id in rows:
            found = resources.setdefault(
                pk,
                {"at": published_at, "region": region_id, "organisations": {organisation_id, partner_id} - {None},
                 "pillars": set()},
            )
            if pillar_id:
                found["pillars"].add(pillar_id)
    # 9. The followed tags the candidates carry (both kinds in one query).
    tagged: dict[str, dict[int, set[int]]] = {"casestudy": defaultdict(set), "resource": defaultdict(set)}
    if followed["tag"] and (case_studies or resources):
        for model, object_id, tag_id in TaggedItem.objects.filter(
            Q(content_type__model="casestudy", object_id__in=list(case_studies))
            | Q(content_type__model="resource", object_id__in=list(resources)),
            content_type__app_label="casestudies",
            tag_id__in=followed["tag"],
        ).values_list("content_type__model", "object_id", "tag_id"):
            tagged[model][object_id].add(tag_id)
    # 10. Candidate threads, newest first.
    threads = list(
        Thread.objects.filter(group_id__in=all_groups, created_at__gt=earliest)
        .order_by("-created_at", "-pk")
        .values_list("pk", "group_id", "author_id", "created_at")
    ) if all_groups else []
    # 11. Candidate events, soonest first.
    events = list(
        Event.objects.filter(group_id__in=all_groups, starts_at__gte=now)
        .order_by("starts_at", "pk")
        .values_list("pk", "group_id")
    ) if all_groups else []
    # 12. What these people have already had, among the candidates only.
    seen: set[tuple[int, str, int]] = set()
    if case_studies or resources or threads or events:
        seen = set(
            DigestedItem.objects.filter(user_id__in=since)
            .filter(
                Q(kind=DigestedItem.Kind.CASE_STUDY, object_id__in=list(case_studies))
                | Q(kind=DigestedItem.Kind.RESOURCE, object_id__in=list(resources))
                | Q(kind=DigestedItem.Kind.THREAD, object_id__in=[t[0] for t in threads])
                | Q(kind=DigestedItem.Kind.EVENT, object_id__in=[e[0] for e in events])
            )
            .values_list("user_id", "kind", "object_id")
        )

    # Index the candidates by what makes them relevant; each list keeps the candidates' order.
    def index(candidates: dict[int, dict], tags_of: dict[int, set[int]]) -> dict[str, dict[int, list[int]]]:
        by: dict[str, dict[int, list[int]]] = {kind: defaultdict(list) for kind in Follow.KINDS}
        for pk, item in candidates.items():
            by["region"][item["region"]].append(pk)
            for pillar_id in item["pillars"]:
                by["pillar"][pillar_id].append(pk)
            for organisation_id in item["organisations"]:
                by["organisation"][organisation_id].append(pk)
            for tag_id in tags_of.get(pk, ()):
                by["tag"][tag_id].append(pk)
        return by

    def relevant_to(user_id: int, by: dict[str, dict[int, list[int]]]) -> set[int]:
        return set().union(
            *(by["region"][r] for r in regions[user_id]),
            *(by["pillar"][p] for p in pillars[user_id]),
            *(by["organisation"][o] for o in organisations[user_id]),
            *(by["tag"][t] for t in tags[user_id]),
        )

    def newest(candidates: dict[int, dict], by, order: dict[int, int], user_id: int, kind: str) -> list[int]:
        return [
            pk
            for pk in sorted(relevant_to(user_id, by), key=order.__getitem__)
            if candidates[pk]["at"] > since[user_id] and (user_id, kind, pk) not in seen
        ][:ITEMS_PER_KIND]

    case_studies_by = index(case_studies, tagged["casestudy"])
    resources_by = index(resources, tagged["resource"])
    case_study_order = {pk: i for i, pk in enumerate(case_studies)}
    resource_order = {pk: i for i, pk in enumerate(resources)}
    threads_in: dict[int, list[tuple]] = defaultdict(list)
    for i, (pk, group_id, author_id, created_at) in enumerate(threads):
        threads_in[group_id].append((i, pk, author_id, created_at))
    events_in: dict[int, list[tuple]] = defaultdict(list)
    for i, (pk, group_id) in enumerate(events):
        events_in[group_id].append((i, pk))

    chosen: dict[int, dict[str, list[int]]] = {}
    for user_id, user_since in since.items():
        mine_threads = sorted(t for g in groups[user_id] for t in threads_in[g])
        mine_events = sorted(e for g in groups[user_id] for e in events_in[g])
        items = {
            "case_studies": newest(case_studies, case_studies_by, case_study_order, user_id, DigestedItem.Kind.CASE_STUDY),
            "resources": newest(resources, resources_by, resource_order, user_id, DigestedItem.Kind.RESOURCE),
            "threads": [
                pk
                for _i, pk, author_id, created_at in mine_threads
                if created_at > user_since
                and author_id != user_id
                and (user_id, DigestedItem.Kind.THREAD, pk) not in seen
            ][:ITEMS_PER_KIND],
            "events": [
                pk for _i, pk in mine_events if (user_id, DigestedItem.Kind.EVENT, pk) not in seen
            ][:ITEMS_PER_KIND],
        }
        if any(items.values()):  # never an empty digest
            chosen[user_id] = items
    return chosen


# --- Following and saving -----------------------------------------------------------------------------


def _tagged(model, tag_ids) -> QuerySet:
    """Ids of `model` rows carrying any of these tags. The content type is joined, not looked
    up first, so the cost is the same whether or not the content-type cache is warm."""
    return TaggedItem.objects.filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        tag_id__in=tag_ids,
    ).values("object_id")


def followed_ids(follows) -> dict[str, set[int]]:
    """{"organisation": {ids}, "pillar": ..., "region": ..., "tag": ...} from Follow rows (or
    (organisation_id, pillar_id, region_id, tag_id) tuples)."""
    found: dict[str, set[int]] = {kind: set() for kind in Follow.KINDS}
    for follow in follows:
        ids = follow if isinstance(follow, tuple) else tuple(getattr(follow, f"{k}_id") for k in Follow.KINDS)
        for kind, pk in zip(Follow.KINDS, ids, strict=True):
            if pk:
                found[kind].add(pk)
    return found


def _case_studies_from(ids: dict[str, set[int]]) -> Q:
    return (
        Q(organisation_id__in=ids["organisation"])
        | Q(organisation__region_id__in=ids["region"])
        | Q(pk__in=CaseStudy.pillars.through.objects.filter(pillar_id__in=ids["pillar"]).values("casestudy_id"))
        | Q(pk__in=_tagged(CaseStudy, ids["tag"]))
    )


def _resources_from(ids: dict[str, set[int]]) -> Q:
    return (
        Q(organisation_id__in=ids["organisation"])
        | Q(partner_organisation_id__in=ids["organisation"])
        | Q(organisation__region_id__in=ids["region"])
        | Q(pk__in=Resource.pillars.through.objects.filter(pillar_id__in=ids["pillar"]).values("resource_id"))
        | Q(pk__in=_tagged(Resource, ids["tag"]))
    )


def following_feed(ids: dict[str, set[int]]) -> QuerySet:
    """(published_at, pk, kind) of every published case study and resource from what a person
    follows, newest first: one query a page (plus one to count), whatever they follow. The
    page's items are then fetched by `feed_items`."""
    case_studies = (
        CaseStudy.objects.published()
        .filter(_case_studies_from(ids))
        .annotate(feed_kind=Value("case_study", output_field=CharField()))
        .order_by()
        .values_list("published_at", "pk", "feed_kind")
    )
    resources = (
        Resource.objects.published()
        .filter(_resources_from(ids))
        .annotate(feed_kind=Value("resource", output_field=CharField()))
        .order_by()
        .values_list("published_at", "pk", "feed_kind")
    )
    return case_studies.union(resources).order_by("-published_at", "-pk")


def feed_items(rows) -> list:
    """The case studies and resources named by (published_at, pk, kind) rows, in their order, in
    a fixed number of queries (each kind, and each kind's pillars)."""
    wanted: dict[str, list[int]] = {"case_study": [], "resource": []}
    for _at, pk, kind in rows:
        wanted[kind].append(pk)
    found = {}
    if wanted["case_study"]:
        for cs in CaseStudy.objects.filter(pk__in=wanted["case_study"]).for_cards():
            cs.is_resource = False
            found["case_study", cs.pk] = cs
    if wanted["resource"]:
        for resource in Resource.objects.filter(pk__in=wanted["resource"]).for_cards():
            resource.is_resource = True
            found["resource", resource.pk] = resource
    return [found[(kind, pk)] for _at, pk, kind in rows if (kind, pk) in found]


def saved_items(user) -> QuerySet:
    """A person's saved case studies and resources that are still public, newest save first."""
    return (
        SavedItem.objects.filter(user=user)
        .filter(
            Q(case_study__status__in=[CaseStudy.Status.PUBLISHED, CaseStudy.Status.ARCHIVED])
            | Q(resource__status=Resource.Status.PUBLISHED)
        )
        .select_related(
            "case_study__organisation__region",
            "resource__organisation__region",
            "resource__partner_organisation__region",
        )
        .defer(*(f"case_study__{name}" for name in ("search_vector", *SECTION_FIELDS, *SECTION_HTML_FIELDS)))
        .order_by("-created_at", "-pk")
    )
