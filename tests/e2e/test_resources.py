"""A resource's way into the library in the browser: a member suggests it (a mistake first, kept
on the page), the regional lead publishes it from the moderation queue, and a visitor finds it
in the library and follows its link. axe-core checks every page."""

from tests.anchors.factories import OrganisationFactory, lead_of, member_of
from tests.e2e.conftest import sign_in
from tests.factories import ResourceFactory


def test_suggest_publish_and_find_a_resource(pages, db):
    organisation = OrganisationFactory(name="Tyneside Example NHS Foundation Trust")
    member = member_of(organisation)
    lead = lead_of("Y63")
    ResourceFactory(title="An older guide to anchor work", kind="guide")
    page = pages.page

    # The member suggests a resource: neither a file nor a link first, answered in the form.
    sign_in(pages, member.email)
    pages.goto("/resources/suggest/")
    page.check("label:has-text('Toolkit')")
    page.fill("#id_title", "Social value procurement toolkit")
    page.fill("#id_summary", "Tender questions and a scoring grid that weigh local jobs and spending.")
    page.check("label:has-text('Purchasing locally')")
    pages.submit("main form button[type=submit]", status=400)
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert "Upload a file or give a link" in page.inner_text(".nhsuk-error-summary")
    assert page.input_value("#id_title") == "Social value procurement toolkit"

    # A javascript: address is refused too; a web address is accepted.
    page.fill("#id_url", "javascript:alert(1)")
    pages.submit("main form button[type=submit]", status=400)
    assert "starting with https://" in page.inner_text(".nhsuk-error-summary")
    page.fill("#id_url", "https://www.health.org.uk/")
    page.fill("#id_partner", "The Health Foundation")
    page.fill("#id_tags", "social value, procurement")
    pages.submit("main form button[type=submit]")
    assert "Awaiting review" in page.inner_text("main")
    slug = page.url.rstrip("/").rsplit("/", 1)[1]
    pages.goto("/resources/yours/")
    assert "Social value procurement toolkit" in page.inner_text("main")

    # A visitor cannot see it yet.
    page.context.clear_cookies()
    pages.goto(f"/resources/{slug}/", status=404)

    # The regional lead finds it in the queue beside case studies and publishes it.
    sign_in(pages, lead.email)
    pages.goto("/case-studies/moderation/")
    assert "Suggested resources" in page.inner_text("main")
    pages.follow("text=Social value procurement toolkit")
    page.check("#id_decision_0")
    pages.submit("button:has-text('Record decision')")
    pages.goto(f"/resources/{slug}/review/")
    assert page.locator("button:has-text('Record decision')").count() == 0

    # A visitor finds it in the library, filters by kind, and sees where its link goes.
    page.context.clear_cookies()
    pages.goto("/resources/")
    assert "Social value procurement toolkit" in page.inner_text("main")
    page.select_option("#id_kind", "toolkit")
    pages.submit("main form button[type=submit]")
    assert "Social value procurement toolkit" in page.inner_text("main")
    assert "An older guide to anchor work" not in page.inner_text("main")
    pages.follow("text=Social value procurement toolkit")
    main = page.inner_text("main")
    assert "The Health Foundation" in main and "external website" in main
    assert page.get_attribute("main a:has-text('Open the resource')", "href") == "https://www.health.org.uk/"
