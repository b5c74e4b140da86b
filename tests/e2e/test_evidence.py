"""Standard measures, commitments and self-assessment in a real browser: the server-drawn chart,
its table and the forms pass axe-core, and an admin records a figure with a mistake, corrects
it, publishes it and signs a commitment."""

from decimal import Decimal

from evidence import years
from tests.anchors.factories import OrganisationFactory, admin_of, region
from tests.e2e.conftest import sign_in
from tests.evidence.factories import AnnualFigureFactory, CommitmentFactory


def test_evidence_pages_for_a_visitor_and_an_organisation_admin(pages):
    last_year = years.current() - 1
    for n, value in enumerate(("12", "25.5", "31", "47")):
        organisation = OrganisationFactory(name=f"Trust number {n}", region=region("Y63" if n % 2 else "Y56"))
        AnnualFigureFactory(organisation=organisation, year=last_year, value=Decimal(value))
    commitment = CommitmentFactory(title="Buy a third locally by 2028")
    home = OrganisationFactory(name="Our own trust")
    admin = admin_of(home)

    pages.goto("/measures/")
    pages.follow("main >> text=Share of non-pay spend with local suppliers")
    main = pages.page.inner_text("main")
    assert "4 organisations published a figure" in main and "Median" in main
    assert pages.page.locator("main svg[role=img]").count() == 1
    pages.page.check("text=London")
    pages.submit("main form button[type=submit]")
    assert "2 organisations match these filters" in pages.page.inner_text("main")
    pages.goto("/commitments/")
    pages.goto(commitment.get_absolute_url())
    pages.goto("/self-assessment/")

    sign_in(pages, admin.email)
    pages.goto(f"/members/{home.slug}/figures/record/")
    pages.page.select_option("select[name=measure]", "local-spend-share")
    pages.page.select_option("select[name=year]", str(last_year))
    pages.page.fill("input[name=value]", "140%")
    pages.submit()
    assert "Enter a percentage between 0 and 100" in pages.page.inner_text(".nhsuk-error-summary")
    pages.page.fill("input[name=value]", "40%")
    pages.submit()
    assert "Draft" in pages.page.inner_text("main")
    pages.submit("main button[value=publish]")
    assert "Published" in pages.page.inner_text("main")

    pages.goto(commitment.get_absolute_url())
    pages.page.check("text=Our own trust")
    pages.submit("main form button[type=submit]")
    assert "Our own trust signed" in pages.page.inner_text("main")

    pages.goto(f"/members/{home.slug}/self-assessment/")
    pages.goto(home.get_absolute_url())
    assert "40%" in pages.page.inner_text("main")
