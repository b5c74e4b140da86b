"""One search for case studies and resources in the browser: a visitor finds a resource by a
word of its summary, sees its kind, filters by kind with the Kind facet, and opens it; the same
page in Welsh. axe-core checks every page."""

from tests.anchors.factories import pillar
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import ResourceFactory


def test_search_finds_a_resource_and_the_kind_facet_filters(pages, db):
    resource = ResourceFactory(title="Social value scoring toolkit", kind="toolkit",
                               summary="Questions to weigh local jobs when buying laundry services.",
                               pillars=[pillar("purchasing")])
    PublishedCaseStudyFactory(title="Heat pumps for the hospital laundry", summary="Laundry without gas.")
    page = pages.page
    pages.goto("/case-studies/")
    page.fill("#q", "laundry")
    pages.submit("button:has-text('Search')")
    main = page.inner_text("main")
    assert "Social value scoring toolkit" in main and "Heat pumps for the hospital laundry" in main
    card = page.locator("li.nhsuk-card-group__item", has_text="Social value scoring toolkit")
    assert card.locator(".nhsuk-tag").inner_text() == "Toolkit"

    # Only toolkits.
    page.locator("label:has-text('Toolkit (1)')").click()
    pages.submit("button:has-text('Apply filters')")
    assert "kind=toolkit" in page.url
    main = page.inner_text("main")
    assert "Social value scoring toolkit" in main and "Heat pumps for the hospital laundry" not in main

    # Only case studies.
    page.locator("input[name=kind][value=toolkit]").uncheck()
    page.locator("input[name=kind][value=case_study]").check()
    pages.submit("button:has-text('Apply filters')")
    main = page.inner_text("main")
    assert "Heat pumps for the hospital laundry" in main and "Social value scoring toolkit" not in main

    # The resource's own page.
    pages.goto("/case-studies/?q=laundry&kind=toolkit")
    pages.follow("text=Social value scoring toolkit")
    assert page.url.endswith(resource.get_absolute_url())


def test_the_search_in_welsh(pages, db):
    ResourceFactory(title="Recruiting locally", kind="guide")
    page = pages.page
    pages.goto("/cy/case-studies/?kind=guide")
    assert "Astudiaethau achos ac adnoddau" in page.inner_text("h1")
    assert "Canllaw" in page.locator("li.nhsuk-card-group__item .nhsuk-tag").inner_text()
