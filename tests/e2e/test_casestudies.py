"""A case study's whole life in the browser: draft, submit, changes requested by the regional
lead, resubmitted, published, then found by a visitor's search. axe-core checks every page."""

from tests.anchors.factories import OrganisationFactory, lead_of, member_of, pillar
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import PASSWORD


def sign_in_as(pages, email: str) -> None:
    pages.page.context.clear_cookies()
    pages.goto("/account/login/")
    pages.page.fill("input[name=login]", email)
    pages.page.fill("input[name=password]", PASSWORD)
    pages.submit()


def test_draft_submit_changes_publish_and_find(pages, db):
    organisation = OrganisationFactory(name="Tyneside Example NHS Foundation Trust")
    author = member_of(organisation)
    lead = lead_of("Y63")
    PublishedCaseStudyFactory(title="An older story about buying locally", tags=["procurement"],
                              pillars=[pillar("purchasing")])

    # The author writes a draft; a mistake first, kept on the page with an error summary.
    sign_in_as(pages, author.email)
    pages.goto("/case-studies/new/")
    page = pages.page
    page.fill("#id_title", "Heat pumps for the hospital laundry")
    page.fill("#id_summary", "")
    pages.submit("main form button[type=submit]")
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert page.input_value("#id_title") == "Heat pumps for the hospital laundry"
    page.fill("#id_summary", "We replaced gas boilers in the laundry with heat pumps.")
    page.check("label:has-text('Reducing environmental impact')")
    page.fill("#id_tags", "net zero, estates")
    page.fill("#id_context", "The laundry burned **a lot** of gas.")
    page.fill("#id_measures-0-measure", "Carbon avoided")
    page.fill("#id_measures-0-value", "120")
    page.fill("#id_measures-0-unit", "tonnes CO2e")
    pages.submit("main form button[type=submit]")
    assert "This is a preview" in page.inner_text("main")
    slug = page.url.rstrip("/").rsplit("/", 1)[1]
    pages.submit("button:has-text('Submit for review')")
    assert "Awaiting review" in page.inner_text("main")

    # The regional lead asks for changes.
    sign_in_as(pages, lead.email)
    pages.goto("/case-studies/moderation/")
    pages.follow("text=Heat pumps for the hospital laundry")
    page.check("#id_decision_1")
    page.fill("#id_comment", "Please say what the heat pumps cost.")
    pages.submit("button:has-text('Record decision')")

    # The author sees the comment, edits and resubmits.
    sign_in_as(pages, author.email)
    pages.goto(f"/case-studies/{slug}/history/")
    assert "Please say what the heat pumps cost." in page.inner_text("main")
    pages.goto(f"/case-studies/{slug}/edit/")
    page.fill("#id_approach", "The heat pumps cost £400,000 and paid back in six years.")
    pages.submit("main form button[type=submit]")
    pages.submit("button:has-text('Submit for review')")

    # The lead publishes it.
    sign_in_as(pages, lead.email)
    pages.goto(f"/case-studies/{slug}/review/")
    page.check("#id_decision_0")
    pages.submit("button:has-text('Record decision')")
    pages.goto(f"/case-studies/{slug}/review/")
    assert page.locator("button:has-text('Record decision')").count() == 0

    # A visitor finds it by searching, and filters by its tag.
    page.context.clear_cookies()
    pages.goto("/case-studies/")
    page.fill("#q", "laundry")
    pages.submit("button:has-text('Search')")
    assert "Heat pumps for the hospital laundry" in page.inner_text("main")
    pages.follow("text=Heat pumps for the hospital laundry")
    assert "120 tonnes CO2e" in page.inner_text("main")
    pages.follow("main a:has-text('net zero')")
    assert "Heat pumps for the hospital laundry" in page.inner_text("main")
    assert "An older story" not in page.inner_text("main")
    pages.goto("/case-studies/feeds/")
    pages.goto(organisation.get_absolute_url())
    assert "Heat pumps for the hospital laundry" in page.inner_text("main")


def test_on_a_phone_the_search_box_and_results_come_before_the_filters(pages, db):
    PublishedCaseStudyFactory(title="Local food on the wards", pillars=[pillar("purchasing")])
    page = pages.page
    page.set_viewport_size({"width": 375, "height": 812})
    pages.goto("/case-studies/")
    search_top = page.locator("#q").bounding_box()["y"]
    result_top = page.locator("text=Local food on the wards").bounding_box()["y"]
    summary = page.locator("summary:has-text('Filter case studies')")
    assert search_top < result_top < summary.bounding_box()["y"]
    # Closed on a phone: the checkboxes are out of the way until asked for.
    assert not page.locator("input[name=pillar]").first.is_visible()
    summary.click()
    checkbox = page.locator("input[name=pillar]").first
    assert checkbox.is_visible() and search_top < checkbox.bounding_box()["y"]
    pages.check()
    checkbox.check()
    pages.submit("button:has-text('Apply filters')")
    assert "pillar=" in page.url
    assert page.locator("input[name=pillar]:checked").first.is_visible()


def test_on_a_wide_screen_the_filters_start_open(pages, db):
    PublishedCaseStudyFactory(title="Local food on the wards", pillars=[pillar("purchasing")])
    pages.goto("/case-studies/")
    assert pages.page.locator("input[name=pillar]").first.is_visible()
