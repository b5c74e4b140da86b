"""The home page in a browser, as a visitor and as a member, in English and Welsh: every block
shows, its links work, and axe-core finds nothing (the harness checks each visit)."""

from datetime import timedelta

from django.utils import timezone

import sitecache
from network.models import Event
from tests.anchors.factories import OrganisationFactory, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.e2e.conftest import sign_in
from tests.factories import ResourceFactory
from tests.network.factories import GroupFactory


def _network():
    org = OrganisationFactory(name="Tyneside Example NHS Foundation Trust", decided_at=timezone.now())
    PublishedCaseStudyFactory(organisation=org, title="Buying catering from local farms")
    ResourceFactory(organisation=org, title="Social value scoring toolkit")
    group = GroupFactory(name="Social value in procurement", slug="social-value-in-procurement")
    start = timezone.now() + timedelta(days=10)
    Event.objects.create(group=group, title="Measuring local spend", starts_at=start,
                         ends_at=start + timedelta(hours=1), location="Newcastle upon Tyne")
    return org


def test_a_visitor_sees_every_block_and_follows_a_case_study(pages):
    _network()
    pages.goto("/")
    main = pages.page.inner_text("main")
    for text in ("The network in numbers", "Latest case studies", "Upcoming events", "Newest members",
                 "Buying catering from local farms", "Social value scoring toolkit", "Measuring local spend",
                 "Tyneside Example NHS Foundation Trust", "Create an account"):
        assert text in main, text
    assert pages.page.locator("a:has-text('Add to your calendar')").count() == 1
    pages.goto("/")  # the stored page, checked again
    pages.follow("text=Buying catering from local farms")
    assert "Buying catering from local farms" in pages.page.inner_text("h1")


def test_a_member_sees_the_same_blocks_without_the_invitation(pages):
    org = _network()
    person = member_of(org)
    sign_in(pages, person.email)
    pages.goto("/")
    main = pages.page.inner_text("main")
    assert "Upcoming events" in main and "Measuring local spend" in main
    assert "Create an account" not in main
    pages.follow("main a:has-text('Social value in procurement')")
    assert "Social value in procurement" in pages.page.inner_text("h1")


def test_an_empty_network_and_the_welsh_page_are_accessible(pages):
    pages.goto("/")
    assert "No events are planned at the moment" in pages.page.inner_text("main")
    _network()
    sitecache.bump_content_version()  # made here, not through the services
    pages.goto("/cy/")
    assert "Measuring local spend" in pages.page.inner_text("main")
