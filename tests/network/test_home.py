"""The home page: latest case studies, upcoming events, newest members and the network in
numbers; a fixed number of queries whatever the rows; nothing stale after a change commits (a
publish, a verification, a new event) or after a listed event ends."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anchors import services as anchor_services
from casestudies import services as case_study_services
from network import home, home_demo
from network import services as network_services
from network.models import Event, GroupMembership
from tests.anchors.factories import OrganisationFactory, lead_of, member_of, pending, region
from tests.casestudies.factories import PublishedCaseStudyFactory, SubmittedCaseStudyFactory
from tests.factories import ResourceFactory
from tests.network.factories import GroupFactory, join
from tests.test_query_counts import SIGNED_IN, count_queries

pytestmark = pytest.mark.django_db

HOME = reverse("home")


@pytest.fixture(autouse=True)
def _fresh_process_memory():
    # What this process last heard about the listed events' end is not carried between tests.
    home._known.update(checked_at=0.0, ends=None)


@pytest.fixture
def org():
    return OrganisationFactory(region=region("Y63"), name="Northumbria Example Trust")


@pytest.fixture
def group():
    return GroupFactory(name="Social value in procurement", slug="social-value-in-procurement")


def event_in(group, title="Measuring local spend", *, days=7, hours=1, **kwargs) -> Event:
    start = timezone.now() + timedelta(days=days)
    return Event.objects.create(
        group=group, title=title, starts_at=start, ends_at=start + timedelta(hours=hours),
        online_url="https://meet.example.org/x", **kwargs,
    )


def get(client, path: str = HOME) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


# --- What it shows -----------------------------------------------------------------------------


def test_it_shows_the_latest_published_case_studies_newest_first(client, org):
    now = timezone.now()
    for days in range(6):
        PublishedCaseStudyFactory(organisation=org, title=f"Case study {days} days old",
                                  published_at=now - timedelta(days=days))
    SubmittedCaseStudyFactory(organisation=org, title="Waiting for a lead")
    page, _ = get(client)
    shown = [f"Case study {days} days old" for days in range(4)]
    assert all(title in page for title in shown)
    assert [page.index(title) for title in shown] == sorted(page.index(title) for title in shown)
    assert "Case study 4 days old" not in page and "Waiting for a lead" not in page
    assert "Northumbria Example Trust" in page


def test_it_shows_the_latest_published_resources(client, org):
    now = timezone.now()
    for days in range(4):
        ResourceFactory(organisation=org, title=f"Toolkit {days} days old", published_at=now - timedelta(days=days))
    ResourceFactory(organisation=org, title="Suggested toolkit", status="submitted")
    page, _ = get(client)
    assert all(f"Toolkit {days} days old" in page for days in range(3))
    assert "Toolkit 3 days old" not in page and "Suggested toolkit" not in page
    assert "Made by Northumbria Example Trust" in page


def test_it_shows_upcoming_events_in_uk_time_with_their_group_and_calendar_link(client, group):
    # 09:30 UTC in July is 10:30 in the UK (British Summer Time).
    year = timezone.now().year + 1
    start = datetime(year, 7, 14, 9, 30, tzinfo=UTC)
    event = Event.objects.create(group=group, title="Summer session", starts_at=start,
                                 ends_at=start + timedelta(hours=1), location="Newcastle")
    event_in(group, "Already over", days=-3)
    page, _ = get(client)
    assert "Summer session" in page and "Already over" not in page
    assert f"14 July {year}, 10:30 to 11:30 (UK time)" in page
    assert group.get_absolute_url() in page
    assert reverse("network:event_ics", args=[group.slug, event.pk]) in page


def test_it_lists_at_most_three_events_soonest_first(client, group):
    for days in (9, 3, 5, 1):
        event_in(group, f"In {days} days", days=days)
    page, _ = get(client)
    assert "In 9 days" not in page
    assert page.index("In 1 days") < page.index("In 3 days") < page.index("In 5 days")


def test_it_shows_the_newest_verified_members_with_type_and_region(client):
    now = timezone.now()
    for n in range(5):
        OrganisationFactory(name=f"Trust verified {n} days ago", decided_at=now - timedelta(days=n))
    pending(name="Still Pending Health Board")
    page, _ = get(client)
    assert "Trust verified 0 days ago" in page and "Trust verified 4 days ago" not in page
    assert "Still Pending Health Board" not in page
    assert "Acute trust" in page and region("Y63").name in page


def test_the_network_in_numbers_counts_verified_organisations_published_case_studies_and_regions(org):
    other = OrganisationFactory(region=region("Y56"))
    OrganisationFactory(region=region("Y56"))
    pending(region=region("Y58"))
    PublishedCaseStudyFactory(organisation=org)
    PublishedCaseStudyFactory(organisation=other)
    SubmittedCaseStudyFactory(organisation=other)
    numbers = home.network_in_numbers()
    from anchors.models import Region

    assert numbers == home.NetworkInNumbers(
        organisations=3, case_studies=2, regions_covered=2, regions=Region.objects.count()
    )


def test_numbers_use_uk_thousands_separators(client, monkeypatch):
    monkeypatch.setattr(home, "network_in_numbers", lambda: home.NetworkInNumbers(
        organisations=1234, case_studies=56789, regions_covered=1, regions=11))
    page, _ = get(client)
    assert "1,234" in page and "56,789" in page
    assert "member organisations" in page and "published case studies" in page
    assert "region with a member organisation, out of 11" in page


def test_an_empty_network_says_so_in_each_block(client):
    page, _ = get(client)
    assert "No case studies have been published yet" in page
    assert "No resources have been published yet" in page
    assert "No events are planned at the moment" in page
    assert "No organisations have joined yet" in page


def test_visitors_are_invited_to_join_and_members_are_not(client, org):
    assert "Create an account" in get(client)[0]
    client.force_login(member_of(org))
    page, _ = get(client)
    assert "Create an account" not in page and "The network in numbers" in page


# --- Queries -----------------------------------------------------------------------------------


BLOCKS = [
    "latest published case studies, with organisation and region (one join)",
    "their pillars (prefetch)",
    "latest published resources, with their organisation and partner (joins)",
    "upcoming events, with their group (one join)",
    "newest verified organisations, with their region (one join)",
    "regions, regions covered and verified organisations (one aggregate)",
    "published case studies (count)",
]


def add_rows(org, group, n: int) -> None:
    for _ in range(n):
        PublishedCaseStudyFactory(organisation=org)
        ResourceFactory(organisation=org, suggested_by=None)
        event_in(group)
        OrganisationFactory()


@pytest.mark.parametrize("rows", [1, 50])
def test_a_visitor_page_built_from_nothing_runs_the_same_queries_at_1_and_50_rows(client, org, group, rows):
    add_rows(org, group, rows)
    count_queries(client, HOME, BLOCKS)


@pytest.mark.parametrize("rows", [1, 50])
def test_a_signed_in_page_runs_the_same_queries_at_1_and_50_rows(client, org, group, rows):
    add_rows(org, group, rows)
    client.force_login(member_of(org))
    count_queries(client, HOME, [*SIGNED_IN, *BLOCKS])


def test_a_visitor_gets_the_stored_page_without_a_query(client, org, group):
    add_rows(org, group, 3)
    first, _ = get(client)
    again, queries = get(client)
    assert queries == 0 and again == first


def test_a_signed_in_page_reuses_the_stored_blocks(client, org, group):
    add_rows(org, group, 3)
    get(client)  # a visitor builds the blocks
    client.force_login(member_of(org))
    get(client)  # the session reaches the cache
    page, queries = get(client)
    # Only who they are: the user (the session comes from the cache); no block is built again.
    assert queries == len([SIGNED_IN[1]]) and "The network in numbers" in page


# --- Nothing stale -----------------------------------------------------------------------------


def test_a_newly_published_case_study_shows_at_once(client, org, django_capture_on_commit_callbacks):
    waiting = SubmittedCaseStudyFactory(organisation=org, title="Freshly published")
    page, _ = get(client)
    assert "Freshly published" not in page
    with django_capture_on_commit_callbacks(execute=True):
        case_study_services.case_study_publish(case_study=waiting, by=lead_of("Y63"))
    page, _ = get(client)
    assert "Freshly published" in page
    assert home.home_blocks().numbers.case_studies == 1


def test_a_newly_published_resource_shows_at_once(client, org, django_capture_on_commit_callbacks):
    waiting = ResourceFactory(organisation=org, title="Freshly published toolkit", status="submitted")
    assert "Freshly published toolkit" not in get(client)[0]
    with django_capture_on_commit_callbacks(execute=True):
        case_study_services.resource_publish(resource=waiting, by=lead_of("Y63"))
    assert "Freshly published toolkit" in get(client)[0]


def test_a_newly_verified_organisation_shows_at_once(client, django_capture_on_commit_callbacks):
    newcomer = pending(region=region("Y63"), name="Newcomer Health Board")
    assert "Newcomer Health Board" not in get(client)[0]
    with django_capture_on_commit_callbacks(execute=True):
        anchor_services.organisation_verify(organisation=newcomer, by=lead_of("Y63"))
    assert "Newcomer Health Board" in get(client)[0]


def test_a_new_event_shows_at_once(client, org, group, django_capture_on_commit_callbacks):
    lead = member_of(org)
    join(group, lead, GroupMembership.Role.LEAD)
    assert "Tender clinic" not in get(client)[0]
    start = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        network_services.event_add(group=group, by=lead, title="Tender clinic", starts_at=start,
                                   ends_at=start + timedelta(hours=1), location="Newcastle")
    assert "Tender clinic" in get(client)[0]


def test_a_listed_event_leaves_the_page_once_it_has_ended(client, group):
    event = event_in(group, "Ends soon", days=1)
    assert "Ends soon" in get(client)[0]
    assert get(client)[1] == 0  # stored
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    # The build noted when the event ends; pretend that moment has come, and that this process
    # has not asked the cache about it for a while.
    cache.set(home.FIRST_EVENT_ENDS_KEY, time.time() - 1)
    home._known["checked_at"] = 0.0
    page, queries = get(client)
    assert "Ends soon" not in page and queries > 0
    assert get(client)[1] == 0  # stored again, and retired only once


def test_each_process_asks_the_cache_about_the_event_at_most_every_half_minute(client, group, monkeypatch):
    event_in(group, "Next week", days=7)
    get(client)
    home._known["checked_at"] = 0.0
    get(client)
    asked = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **kw: asked.append(key) or real_get(key, *a, **kw))
    get(client)
    assert home.FIRST_EVENT_ENDS_KEY not in asked


def test_the_page_is_kept_while_its_events_are_still_on(client, group):
    event_in(group, "Next week", days=7)
    get(client)
    assert cache.get(home.FIRST_EVENT_ENDS_KEY) > time.time()
    assert get(client)[1] == 0


# --- Demo --------------------------------------------------------------------------------------


def test_the_demo_always_has_upcoming_events_and_does_not_double_them(group):
    from accounts import demo as accounts_demo

    accounts_demo.seed()
    GroupFactory(slug="widening-access-to-nhs-jobs", name="Widening access to NHS jobs")
    home_demo.seed()
    upcoming = Event.objects.upcoming()
    assert upcoming.count() == 2 and all(e.starts_at > timezone.now() for e in upcoming)
    home_demo.seed()
    assert Event.objects.count() == 2
    # Once they are over, the next run dates them from now again.
    Event.objects.update(starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=29))
    home_demo.seed()
    assert Event.objects.upcoming().count() == 2 and Event.objects.count() == 4


# --- Welsh -------------------------------------------------------------------------------------


def test_the_welsh_page_names_regions_in_welsh(client, org):
    from anchors.models import Region

    Region.objects.filter(pk=org.region_id).update(name_cy="Gogledd Ddwyrain a Swydd Efrog")
    PublishedCaseStudyFactory(organisation=org)
    english, _ = get(client)
    welsh, _ = get(client, "/cy/")
    assert "Gogledd Ddwyrain a Swydd Efrog" in welsh and "Gogledd Ddwyrain" not in english
    assert "Gogledd Ddwyrain" not in get(client)[0]  # each language its own stored page
