"""The evidence, insight and information pages in Welsh through a real browser (axe-checked on
every visit): the comparison chart and its table, an admin's mistake answered in Welsh and
corrected, the insight charts, and the privacy notice, accessibility statement and cookies page."""

from decimal import Decimal

from evidence import years
from tests.anchors.factories import OrganisationFactory, admin_of, region
from tests.e2e.conftest import sign_in
from tests.evidence.factories import AnnualFigureFactory, CommitmentFactory


def test_evidence_insight_and_information_pages_in_welsh(pages):
    last_year = years.current() - 1
    for n, value in enumerate(("12", "25.5", "31")):
        organisation = OrganisationFactory(name=f"Trust number {n}", region=region("WLS" if n % 2 else "Y56"))
        AnnualFigureFactory(organisation=organisation, year=last_year, value=Decimal(value))
    commitment = CommitmentFactory(title="Buy a third locally by 2028")
    home = OrganisationFactory(name="Our own trust", region=region("WLS"))
    admin = admin_of(home)

    pages.goto("/cy/measures/")
    assert pages.page.get_attribute("html", "lang") == "cy"
    pages.follow("main >> text=Cyfran y gwariant heblaw cyflogau gyda chyflenwyr lleol")
    main = pages.page.inner_text("main")
    assert "Mae 3 sefydliad wedi cyhoeddi ffigur." in main and "Canolrif" in main
    assert pages.page.locator("main svg[role=img]").count() == 1
    pages.goto("/cy/commitments/")
    pages.goto(commitment.get_absolute_url().replace("/commitments/", "/cy/commitments/", 1))
    pages.goto("/cy/self-assessment/")
    pages.goto("/cy/insight/")
    assert "Mewnwelediad y rhwydwaith" in pages.page.inner_text("main")

    sign_in(pages, admin.email)
    pages.goto(f"/cy/members/{home.slug}/figures/record/")
    pages.page.select_option("select[name=measure]", "local-spend-share")
    pages.page.select_option("select[name=year]", str(last_year))
    pages.page.fill("input[name=value]", "140%")
    pages.submit()
    assert "Rhowch ganran rhwng 0 a 100" in pages.page.inner_text(".nhsuk-error-summary")
    pages.page.fill("input[name=value]", "40%")
    pages.submit()
    assert "Drafft" in pages.page.inner_text("main")

    for path in ("/cy/privacy/", "/cy/accessibility/", "/cy/cookies/"):
        pages.goto(path)
    assert "Rheoli cwcis" in pages.page.inner_text("main")
