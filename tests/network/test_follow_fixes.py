"""Fixes to the Following and Saved pages and the Follow / Save buttons found in a walkthrough:
the tag box's own error message, links that keep the page's language, who made a resource and
its own date, one way of saying a button's state, and members' words in their own language.

The Welsh checks need the compiled catalogue: `python scripts/welsh.py build`.
"""

from __future__ import annotations

import datetime
import html

import pytest
from django.utils import translation
from taggit.models import Tag

from network import services
from tests.anchors.factories import OrganisationFactory, member_of, pillar, region
from tests.casestudies.factories import PublishedCaseStudyFactory

from .test_follow import SIGNED_IN, count, published_resource

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A /cy/ request leaves Welsh active in this thread: start and end each test in English."""
    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


@pytest.fixture
def org():
    return OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", region=region("Y63"))


@pytest.fixture
def member(org):
    return member_of(org)


def page_of(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- 1. The tag box says what it wants ---------------------------------------------------------


def test_an_empty_tag_box_asks_for_a_tag_in_each_language(client, member):
    client.force_login(member)
    page = page_of(client.post("/following/", {"form": "tag", "tag": "  "}))
    assert "nhsuk-error-summary" in page
    assert "Enter a tag to follow" in page and "Enter follow a tag" not in page
    page = page_of(client.post("/cy/following/", {"form": "tag", "tag": ""}))
    assert "Rhowch dag i'w ddilyn" in page and "Enter a tag to follow" not in page


def test_a_too_long_tag_is_answered_in_the_form_and_kept(client, member):
    client.force_login(member)
    page = page_of(client.post("/following/", {"form": "tag", "tag": "x" * 101}))
    assert "A tag must be 100 characters or fewer" in page and "x" * 101 in page


# --- 2. Links keep the page's language ----------------------------------------------------------


def main_of(response) -> str:
    return page_of(response).split("<main", 1)[1].split("</main>", 1)[0]


def test_the_empty_pages_link_in_the_pages_language(client, member):
    client.force_login(member)
    page = main_of(client.get("/cy/following/"))
    assert 'href="/cy/members/"' in page and 'href="/members/"' not in page
    page = main_of(client.get("/cy/saved/"))
    assert 'href="/cy/case-studies/"' in page and 'href="/case-studies/"' not in page
    translation.activate("en-gb")
    assert 'href="/members/"' in main_of(client.get("/following/"))
    assert 'href="/case-studies/"' in main_of(client.get("/saved/"))


# --- 3. Who made a resource, and its own date ----------------------------------------------------


def _bylines(page: str) -> list[str]:
    """The byline under each card's heading on the page."""
    marker = '<p class="nhsuk-body-s nhsuk-u-margin-bottom-2">'
    return [chunk.split("</p>", 1)[0].strip() for chunk in page.split(marker)[1:]]


def test_resources_show_their_maker_with_its_own_region_and_their_own_date(client, member, org):
    partner_org = OrganisationFactory(name="Leeds City Council", region=region("Y56"))
    by_name = published_resource(
        org, partner_name="UK Fashion and Textile Association", date=datetime.date(2025, 3, 14)
    )
    by_partner_org = published_resource(
        org, partner_organisation=partner_org, date=datetime.date(2024, 11, 2)
    )
    by_org = published_resource(org)  # no date of its own
    for resource in (by_name, by_partner_org, by_org):
        services.item_save(item=resource, by=member)
    services.follow_add(thing=org, by=member)
    client.force_login(member)
    expected = {
        "Made by UK Fashion and Textile Association · 14 March 2025",
        f"Made by Leeds City Council · {region('Y56').name} · 2 November 2024",
        f"Made by Leeds Teaching Hospitals NHS Trust · {region('Y63').name}",
    }
    for path in ("/following/", "/saved/"):
        bylines = _bylines(page_of(client.get(path)))
        assert set(bylines) == expected, (path, bylines)


def test_case_studies_keep_their_organisation_region_and_published_date(client, member, org):
    case_study = PublishedCaseStudyFactory(
        organisation=org, published_at=datetime.datetime(2025, 6, 3, 9, tzinfo=datetime.UTC)
    )
    services.item_save(item=case_study, by=member)
    client.force_login(member)
    assert _bylines(page_of(client.get("/saved/"))) == [
        f"Leeds Teaching Hospitals NHS Trust · {region('Y63').name} · Published 3 June 2025"
    ]


def test_partner_made_resources_cost_no_query_each(client, member, org):
    """The partner organisation's region comes with the page's resources (no n+1)."""
    services.follow_add(thing=org, by=member)
    client.force_login(member)
    following = [
        *SIGNED_IN,
        "what they follow, with the things' names",
        "count the feed",
        "the feed's page (one UNION)",
        "the page's resources, with their partner organisations and their regions",
        "their pillars",
        "what they saved, for the Save buttons",
        "count the pillars",
        "the pillars for the form",
        "count the regions",
        "the regions for the form",
        "the tags used most often",
    ]
    saved = [
        *SIGNED_IN,
        "count their saved items",
        "the page of saved items, with each item and its maker",
    ]

    def add(n):
        for _ in range(n):
            resource = published_resource(
                org, partner_organisation=OrganisationFactory(region=region("Y56"))
            )
            services.item_save(item=resource, by=member)

    add(1)
    count(client, "/following/", following)
    count(client, "/saved/", saved)
    add(19)  # a full page of each
    count(client, "/following/", following)
    count(client, "/saved/", saved)


# --- 4. A button's state is said once -------------------------------------------------------------


def test_buttons_say_their_state_by_their_label_only(client, member, org):
    case_study = PublishedCaseStudyFactory(organisation=org)
    client.force_login(member)
    page = page_of(client.get(org.get_absolute_url()))
    assert "aria-pressed" not in page and ">Follow</span>" in page
    services.follow_add(thing=org, by=member)
    page = page_of(client.get(org.get_absolute_url()))
    assert "aria-pressed" not in page and ">Following</span>" in page
    services.item_save(item=case_study, by=member)
    page = page_of(client.get(case_study.get_absolute_url()))
    assert "aria-pressed" not in page and ">Saved</span>" in page
    services.follow_add(
        thing=Tag.objects.create(name="anchor charter", slug="anchor-charter"), by=member
    )
    services.follow_add(thing=pillar("workforce"), by=member)
    assert "aria-pressed" not in page_of(client.get("/following/"))


# --- 5. Members' words carry their own language ----------------------------------------------------


def test_titles_and_summaries_carry_the_language_they_were_written_in(client, member, org):
    welsh = PublishedCaseStudyFactory(
        organisation=org, title="Prynu'n lleol yng Nghaerdydd", language="cy"
    )
    english = published_resource(org)
    for item in (welsh, english):
        services.item_save(item=item, by=member)
    services.follow_add(thing=org, by=member)
    client.force_login(member)
    for path in ("/following/", "/saved/", "/cy/following/", "/cy/saved/"):
        page = page_of(client.get(path))
        assert '<h3 class="nhsuk-card__heading nhsuk-heading-s" lang="cy">' in page, path
        assert f'<p class="nhsuk-card__description" lang="cy">{welsh.summary}</p>' in page, path
        assert '<h3 class="nhsuk-card__heading nhsuk-heading-s" lang="en-gb">' in page, path
        assert f'lang="cy"> {welsh.title}</span>' in page, path  # the button's hidden words too
        translation.activate("en-gb")
