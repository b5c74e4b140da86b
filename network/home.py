"""The home page: the latest case studies and resources, upcoming events, the newest members and
the network in numbers, composed from the other apps (network is the layer that reads them all).

Every block comes from one selector with a fixed number of queries, and the blocks are built
once per content version (sitecache.fragment), so a signed-in person's page costs no block
query and a visitor gets the stored page (cached_for_visitors). Services retire both after a
publish, a verification or a new event.

One change is not a service's: time passing. An event that has ended must leave the list
without anyone changing anything, so the build notes when the first event it lists ends, and
the first request after that moment retires the cached pages (once, whichever process sees it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import wraps

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

import sitecache
from anchors.models import Organisation, Region
from casestudies.models import CaseStudy, Resource

from .models import Event

LATEST_CASE_STUDIES = 4
LATEST_RESOURCES = 3
UPCOMING_EVENTS = 3
NEWEST_MEMBERS = 4
FIRST_EVENT_ENDS_KEY = "home:first-listed-event-ends"


@dataclass(frozen=True)
class NetworkInNumbers:
    organisations: int
    case_studies: int
    regions_covered: int
    regions: int


@dataclass(frozen=True)
class HomeBlocks:
    case_studies: list[CaseStudy]
    resources: list[Resource]
    events: list[Event]
    members: list[Organisation]
    numbers: NetworkInNumbers


# --- Selectors ---------------------------------------------------------------------------------


def latest_case_studies(*, limit: int = LATEST_CASE_STUDIES) -> list[CaseStudy]:
    """The most recently published case studies, as cards (two queries: the rows, their pillars)."""
    return list(CaseStudy.objects.published().for_cards().order_by("-published_at", "-pk")[:limit])


def latest_resources(*, limit: int = LATEST_RESOURCES) -> list[Resource]:
    """The most recently published resources, with who made them (one query; the home page's
    cards leave out pillars)."""
    return list(
        Resource.objects.published().for_cards().prefetch_related(None).order_by("-published_at", "-pk")[:limit]
    )


def upcoming_events(*, limit: int = UPCOMING_EVENTS) -> list[Event]:
    """The next events of any learning group, soonest first, including one under way (one query)."""
    return list(
        Event.objects.upcoming()
        .select_related("group")
        .only("title", "starts_at", "ends_at", "location", "online_url", "group__name", "group__slug")
        .order_by("starts_at", "pk")[:limit]
    )


def newest_members(*, limit: int = NEWEST_MEMBERS) -> list[Organisation]:
    """Verified organisations, the most recently verified first (one query). Organisations verified
    before decisions were dated fall back to when they registered, then to when they were added."""
    joined = Coalesce("decided_at", "registered_at", "created_at")
    return list(
        Organisation.objects.verified()
        .select_related("region")
        .only("name", "slug", "type", "region__name", "region__name_cy", "decided_at", "registered_at", "created_at")
        .annotate(joined_at=joined)
        .order_by("-joined_at", "-pk")[:limit]
    )


def network_in_numbers() -> NetworkInNumbers:
    """Verified organisations, published case studies and the regions with a verified
    organisation (two queries: one over regions and their organisations, one count)."""
    verified = Q(organisations__status=Organisation.Status.VERIFIED)
    regions = Region.objects.order_by().aggregate(
        regions=Count("pk", distinct=True),
        covered=Count("pk", filter=verified, distinct=True),
        organisations=Count("organisations", filter=verified),
    )
    return NetworkInNumbers(
        organisations=regions["organisations"],
        case_studies=CaseStudy.objects.published().count(),
        regions_covered=regions["covered"],
        regions=regions["regions"],
    )


def home_blocks() -> HomeBlocks:
    """Every block of the home page, built once per content version."""
    return sitecache.fragment("home", (), _build)


def _build() -> HomeBlocks:
    blocks = HomeBlocks(
        case_studies=latest_case_studies(),
        resources=latest_resources(),
        events=upcoming_events(),
        members=newest_members(),
        numbers=network_in_numbers(),
    )
    if blocks.events:
        first_end = min(event.ends_at for event in blocks.events)
        cache.set(FIRST_EVENT_ENDS_KEY, first_end.timestamp(), sitecache.SECONDS)
    return blocks


# --- The page ----------------------------------------------------------------------------------


# A visitor's stored page costs one cache round trip; asking the cache about the event on every
# request would double that, so each process asks at most this often (an ended event leaves the
# page within this many seconds).
CHECK_EVERY = 30.0
_known = {"checked_at": 0.0, "ends": None}


def retire_when_a_listed_event_ends(view):
    """Retire the cached pages on the first request after an event the home page lists has
    ended, so it leaves the list. `cache.delete` answers True in one process only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        now = time.time()
        if now - _known["checked_at"] >= CHECK_EVERY:
            _known.update(checked_at=now, ends=cache.get(FIRST_EVENT_ENDS_KEY))
        ends = _known["ends"]
        if ends is not None and ends < now:
            _known["ends"] = None
            if cache.delete(FIRST_EVENT_ENDS_KEY):
                sitecache.bump_content_version()
        return view(request, *args, **kwargs)

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"blocks": home_blocks()})

