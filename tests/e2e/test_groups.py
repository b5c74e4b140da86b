from network.models import Group, GroupMembership, Post
from tests.anchors.factories import OrganisationFactory, member_of
from tests.e2e.conftest import sign_in
from tests.network.factories import GroupFactory, join


def test_a_member_joins_a_group_and_posts_in_its_discussion(pages):
    group = GroupFactory(name="Social value in procurement", description="Buying for local benefit.")
    regular = member_of(OrganisationFactory())
    join(group, regular)
    person = member_of(OrganisationFactory(), user__full_name="Ravi Patel")

    pages.goto("/groups/")
    sign_in(pages, person.email)
    pages.goto("/groups/")
    with pages.page.expect_navigation():
        pages.page.click("text=Social value in procurement")
    pages.check()
    pages.submit("button:has-text('Join this group')")
    assert "You have joined Social value in procurement" in pages.page.inner_text("main")
    assert GroupMembership.objects.filter(group=group, user=person, status="active").exists()

    with pages.page.expect_navigation():
        pages.page.click("text=Start a discussion")
    pages.check()
    pages.submit()  # empty: the error summary appears
    assert pages.page.locator(".nhsuk-error-summary").is_visible()
    pages.page.fill("input[name=title]", "Local suppliers for catering")
    pages.page.fill("textarea[name=body]", "Has anyone moved catering to **local** suppliers?")
    pages.submit()
    assert "Local suppliers for catering" in pages.page.inner_text("h1")
    assert pages.page.locator(".app-markdown strong").inner_text() == "local"

    pages.page.fill("textarea[name=body]", "We did, in 2025.")
    pages.submit()
    assert Post.objects.filter(thread__group=group).count() == 2
    assert "We did, in 2025." in pages.page.inner_text("main")

    pages.goto("/account/")
    assert "Social value in procurement" in pages.page.inner_text("main")


def test_a_regional_group_page_is_public_and_accessible(pages):
    group = Group.objects.get(region__code="Y63")
    pages.goto(group.get_absolute_url())
    assert "Sign in" in pages.page.inner_text("main")
