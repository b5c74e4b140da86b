"""Following and saving in the browser: the button works as a plain form and, with JavaScript,
flips in place (its label, an announcement) without reloading the page. The label is the
button's state: no aria-pressed as well, so a screen reader says it once."""

from playwright.sync_api import expect

from network.models import Follow, SavedItem
from tests.anchors.factories import OrganisationFactory, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.e2e.conftest import sign_in


def test_follow_without_javascript_and_save_with_it(pages):
    trust = OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust")
    case_study = PublishedCaseStudyFactory(organisation=trust, title="Buying from Leeds firms")
    person = member_of(OrganisationFactory())

    pages.goto(trust.get_absolute_url())
    assert pages.page.locator("text=Sign in to follow").is_visible()
    sign_in(pages, person.email)

    # The form as it is without JavaScript: take the enhancement's hook off and post it.
    pages.goto(trust.get_absolute_url())
    pages.page.evaluate("document.querySelector('form[data-app-toggle]').removeAttribute('data-app-toggle')")
    pages.submit("main form.app-toggle button")
    assert "You now follow Leeds Teaching Hospitals NHS Trust" in pages.page.inner_text("main")
    assert pages.page.locator("main form.app-toggle button").inner_text().startswith("Following")
    assert pages.page.locator("[aria-pressed]").count() == 0
    assert Follow.objects.filter(user=person, organisation=trust).exists()

    # With JavaScript: the Save button flips where it is, and says so.
    pages.goto(case_study.get_absolute_url())
    pages.page.evaluate("window.__same_page = true")
    button = pages.page.locator("main form.app-toggle button")
    assert button.inner_text().startswith("Save")
    button.click()
    # Waited for through Playwright's own polling: the site's CSP refuses evaluated strings.
    expect(pages.page.locator("main form.app-toggle [data-app-toggle-label]")).to_have_text("Saved")
    assert button.inner_text().startswith("Saved")
    assert button.get_attribute("aria-pressed") is None, "the label says the state; aria-pressed would repeat it"
    assert pages.page.evaluate("window.__same_page === true"), "the page reloaded"
    assert "is saved" in pages.page.locator("#app-toggle-status").inner_text()
    assert SavedItem.objects.filter(user=person, case_study=case_study).exists()
    pages.check()  # still accessible after the change

    # The Saved page lists it, with a Remove button; the Following page shows the trust's work.
    pages.goto("/saved/")
    assert "Buying from Leeds firms" in pages.page.inner_text("main")
    pages.submit("main button:has-text('Remove')")
    assert "You have not saved anything yet" in pages.page.inner_text("main")
    pages.goto("/following/")
    assert "Buying from Leeds firms" in pages.page.inner_text("main")
    assert "Unfollow" in pages.page.inner_text("main")

    # Both pages in Welsh pass the same checks.
    pages.goto("/cy/following/")
    pages.goto("/cy/saved/")
    assert pages.page.get_attribute("html", "lang") == "cy"


def test_the_following_page_in_welsh_keeps_its_links_and_buttons_in_welsh(pages):
    person = member_of(OrganisationFactory())
    sign_in(pages, person.email)
    pages.goto("/cy/following/")
    pages.follow("main a:has-text('cyfeiriadur aelodau')")
    assert pages.page.url.endswith("/cy/members/")
    assert pages.page.get_attribute("html", "lang") == "cy"
    # The tag box left empty says what it wants, in Welsh.
    pages.goto("/cy/following/")
    pages.submit("main form:has(input[name=tag]) button[type=submit]")
    assert "Rhowch dag i'w ddilyn" in pages.page.inner_text(".nhsuk-error-summary")
