"""Every list and detail page runs a fixed number of SQL queries, whatever the number of rows it
shows: each test counts a page at 1 row and at 50 and names every expected query.

Pages are counted as built from nothing (the cache cleared first), so the page cache and the
cached fragments hide nothing here; visitors' cache hits are counted separately (no query).
On a mismatch the assertion prints every statement, numbered, as Zulip's test helper does.
"""

from __future__ import annotations

import os

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network.models import Digest, Group
from tests.anchors.factories import (
    OrganisationFactory,
    coordinator,
    join_request,
    lead_of,
    member_of,
    pending,
    pillar,
    region,
)
from tests.casestudies.factories import (
    OutcomeMeasureFactory,
    PublishedCaseStudyFactory,
    SubmittedCaseStudyFactory,
)
from tests.network.factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db


def count_queries(client, path: str, expected: list[str], *, cold: bool = True) -> None:
    """GET `path` and check it ran exactly the queries `expected` names (one entry each)."""
    if cold:
        cache.clear()
    # Content types are cached per process for its whole life; which ones an earlier test
    # happened to load must not change the count.
    ContentType.objects.get_for_models(*apps.get_models())
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, path
    ran = [q["sql"] for q in ctx.captured_queries]
    if os.environ.get("SHOW_QUERIES"):
        print(f"\n{path}", *(f"  {i}. {name} <- {sql[:150]}" for i, (name, sql) in enumerate(zip(expected, ran, strict=False), 1)), sep="\n")  # noqa: T201
    if len(ran) != len(expected):
        lines = [f"{path}: expected {len(expected)} queries, ran {len(ran)}:"]
        lines += [f"  {i}. {sql}" for i, sql in enumerate(ran, 1)]
        lines += ["expected:"] + [f"  {i}. {name}" for i, name in enumerate(expected, 1)]
        pytest.fail("\n".join(lines))


def at_1_and_50(client, path: str, expected: list[str], add_rows) -> None:
    """The same queries with one row and with fifty."""
    add_rows(1)
    count_queries(client, path, expected)
    add_rows(49)
    count_queries(client, path, expected)


# Signing in costs the same few queries on every page a signed-in person sees. The session is
# read from the database here only because the cache is cleared first: once cached (cached_db
# sessions) it costs no query.
SIGNED_IN = ["the session (cache cleared)", "the user"]
# Every role question (coordinator? regions led? member or admin of which organisations?) is
# answered from one query per request (anchors.models._roles), run at the first question.
ROLES = "their roles: coordinator, regions led, organisations and where admin (one query)"


@pytest.fixture
def org():
    return OrganisationFactory(region=region("Y63"), pillars=[pillar("purchasing")])


def published(org, n: int) -> None:
    for i in range(n):
        case_study = PublishedCaseStudyFactory(
            organisation=org, tags=[f"tag {i % 5}"], pillars=[pillar("purchasing"), pillar("workforce")],
            approach="We changed our tender scoring for local suppliers.",
        )
        OutcomeMeasureFactory(case_study=case_study)


# --- Case studies ------------------------------------------------------------------------------


# The facet summary over every published case study is built in a request only when the cache
# has none at all (the very first build, as here with the cache cleared); after that a worker
# rebuilds it after each change and no visitor waits for it.
FIRST_SUMMARY = [
    "summary: published case studies per organisation",
    "summary: those organisations' regions and types",
    "summary: pillar counts",
    "summary: tag counts",
    # Resources are searched with case studies (issue 12): their counts per kind, region, type,
    # pillar and tag in one more query, in the same worker-built summary.
    "summary: resources' counts per kind, region, type, pillar and tag (one query)",
]
# A card's pillars' names come in its own query (a sub-select per row), not a prefetch.
CARDS = ["the page's cards, with organisation and region joined and their pillars' names"]
# Names for pillars, regions and tags, cached with the content version: once per change. A
# search reads them first: the chosen pillars' and tags' ids come from them too.
LABELS = ["labels: pillars", "labels: regions", "labels: tags"]
LIST = [*LABELS, *FIRST_SUMMARY, "the newest page of published case studies and resources (one UNION)", *CARDS]


def facet_counts(*, with_resources: bool = False) -> list[str]:
    if connection.vendor == "postgresql":
        # Resources' counts, when some matched, come in the same statement.
        return ["the facet counts among the matches (case studies and resources), in one query"]
    counts = ["pillar counts among the matches", "region counts", "type counts", "tag counts"]
    if with_resources:
        counts.append("resources' counts per kind, region, type, pillar and tag among the matches (one query)")
    return counts


def ranked(what: str = "those") -> list[str]:
    """The relevance ranking: on PostgreSQL each match comes with its rank (no query of its own);
    SQLite asks FTS5 for bm25 scores."""
    return [] if connection.vendor == "postgresql" else [f"{what} ranked by relevance"]


def test_the_list(client, org):
    at_1_and_50(client, reverse("casestudies:list"), LIST, lambda n: published(org, n))


def test_the_list_served_to_a_visitor_from_the_page_cache_runs_no_query(client, org):
    published(org, 3)
    count_queries(client, reverse("casestudies:list"), LIST)
    count_queries(client, reverse("casestudies:list"), [], cold=False)


def test_the_filtered_list(client, org):
    expected = [
        *LABELS,  # the chosen pillars' ids come from them: no query of their own
        "the chosen regions' organisations",
        "the ids of the newest matches (at most 1,001)",
        *facet_counts(),
        *CARDS,
    ]
    path = reverse("casestudies:list") + "?pillar=purchasing&region=Y63"
    at_1_and_50(client, path, expected, lambda n: published(org, n))


def test_search(client, org):
    expected = [
        *LABELS,
        "the ids of the newest matches (at most 1,001), with their ranks on PostgreSQL",
        *ranked(),
        *facet_counts(),
        "the page's cards with their highlighted snippets, with organisation and region joined and their "
        "pillars' names",
    ]
    path = reverse("casestudies:list") + "?q=tender+suppliers"
    at_1_and_50(client, path, expected, lambda n: published(org, n))


def test_the_list_for_a_member_adds_only_their_own_links(client, org):
    client.force_login(member_of(org))
    expected = [*SIGNED_IN, *LIST, f"{ROLES} (for 'Write a case study' and the review link)"]
    at_1_and_50(client, reverse("casestudies:list"), expected, lambda n: published(org, n))


DETAIL = [
    "the case study, with organisation and region joined",
    "its pillars", "its tags", "its outcome measures", "its attachments", "its partners",
    "related case studies, in one query",
]


def test_the_case_study_page(client, org):
    shown = PublishedCaseStudyFactory(organisation=org, slug="shown", tags=["tag 1"])

    def add(n):
        published(org, n)
        for _ in range(n):
            OutcomeMeasureFactory(case_study=shown)

    at_1_and_50(client, reverse("casestudies:detail", args=["shown"]), DETAIL, add)


def test_the_case_study_page_for_a_member(client, org):
    shown = PublishedCaseStudyFactory(organisation=org, slug="shown", tags=["tag 1"])
    client.force_login(member_of(org))

    def add(n):
        published(org, n)
        for _ in range(n):
            OutcomeMeasureFactory(case_study=shown)

    # The case study and its related ones come from the cache shared with visitors (counted
    # cold here); what is theirs alone is asked each time.
    expected = [*SIGNED_IN, *DETAIL, f"{ROLES} (may they author or moderate it?)", "its open revision",
                "what they saved, for the Save button (network.templatetags.follow_tags)"]
    at_1_and_50(client, reverse("casestudies:detail", args=["shown"]), expected, add)


FEED = [
    "the 30 newest published case studies, with organisation joined",
    # Resources appear in the feeds too (issue 12), merged by publication time.
    "the 30 newest published resources, with their organisations joined",
]


def test_the_feed(client, org):
    at_1_and_50(client, reverse("casestudies:feed"), FEED, lambda n: published(org, n))


def test_a_pillar_feed(client, org):
    path = reverse("casestudies:feed_pillar", args=["purchasing"])
    at_1_and_50(client, path, ["the pillar", *FEED], lambda n: published(org, n))


def test_the_moderation_queue(client, org):
    client.force_login(lead_of("Y63"))
    expected = [*SIGNED_IN, ROLES, "submitted case studies awaiting them", "submitted revisions awaiting them",
                "submitted resources awaiting them"]

    def add(n):
        for _ in range(n):
            SubmittedCaseStudyFactory(organisation=org)

    at_1_and_50(client, reverse("casestudies:queue"), expected, add)


def test_your_organisations_case_studies(client, org):
    client.force_login(member_of(org))
    expected = [*SIGNED_IN, ROLES, "their case studies, with organisation joined"]
    at_1_and_50(client, reverse("casestudies:mine"), expected, lambda n: published(org, n))


# --- Home, members, organisations --------------------------------------------------------------


def test_the_home_page(client, org):
    # Each block once, whatever the rows (tests/network/test_home.py counts it at 1 and 50).
    # No case study yet, so no pillars to prefetch for them.
    expected = ["latest case studies, organisation and region joined",
                "latest resources, organisations joined", "upcoming events, group joined",
                "newest verified organisations, region joined", "the network in numbers (one aggregate)",
                "published case studies (count)"]
    count_queries(client, reverse("home"), expected)


DIRECTORY = ["the number of verified organisations", "the number of regions (filter checkboxes)",
             "the regions", "the number of pillars (filter checkboxes)", "the pillars",
             "a page of organisations, with region and ICB joined", "their pillars (prefetch)"]


def test_the_directory(client):
    def add(n):
        for _ in range(n):
            OrganisationFactory(pillars=[pillar("purchasing"), pillar("estates")])

    at_1_and_50(client, reverse("anchors:directory"), DIRECTORY, add)


def test_an_organisation_profile(client, org):
    expected = ["the organisation, with region, ICB, registrant and decider joined", "its pillars",
                "its newest published case studies", "its annual figures", "its self-assessments",
                "the commitments it signed", "its groups"]
    at_1_and_50(client, reverse("anchors:organisation", args=[org.slug]), expected, lambda n: published(org, n))


def test_the_verification_queue(client):
    client.force_login(lead_of("Y63"))
    expected = [*SIGNED_IN, ROLES,
                "organisations awaiting verification in them, with region and registrant joined"]

    def add(n):
        for _ in range(n):
            pending(region=region("Y63"))

    at_1_and_50(client, reverse("anchors:verification"), expected, add)


def test_join_requests(client, org):
    client.force_login(member_of(org, role="admin"))
    expected = [*SIGNED_IN, "the organisation", f"{ROLES} (are they its admin?)", "people asking to join"]

    def add(n):
        for _ in range(n):
            join_request(org)

    at_1_and_50(client, reverse("anchors:requests", args=[org.slug]), expected, add)


# --- Accounts and the network ------------------------------------------------------------------


def test_the_account_page(client, org):
    person = member_of(org)
    client.force_login(person)
    expected = [*SIGNED_IN, "their latest data export", ROLES, "their memberships", "those organisations", "their group memberships", "their digest preference"]

    def add(n):
        for _ in range(n):
            join_request(OrganisationFactory(), user=person)

    at_1_and_50(client, reverse("accounts:profile"), expected, add)


def test_the_group_list(client):
    def add(n):
        for _ in range(n):
            GroupFactory()

    at_1_and_50(client, reverse("network:groups"), ["groups with member counts"], add)


def test_a_group_page(client, org):
    group = GroupFactory(kind=Group.Kind.THEMATIC)
    person = member_of(org)
    join(group, person)
    client.force_login(person)

    def add(n):
        for _ in range(n):
            thread_in(group, person)

    expected = ["the group", *SIGNED_IN, f"{ROLES} (do they coordinate?)", "whether they lead the group",
                "their membership of it", "its leads (names)", "its newest discussions", "its coming events",
                "its members, with their names"]
    at_1_and_50(client, reverse("network:group", args=[group.slug]), expected, add)


def test_the_digest_list(client):
    person = coordinator()
    client.force_login(person)

    def add(n):
        for i in range(n):
            Digest.objects.create(subject=f"News {i}", created_by=person, created_at=timezone.now())

    at_1_and_50(client, reverse("network:digests"), [*SIGNED_IN, f"{ROLES} (do they coordinate?)", "digests"], add)

