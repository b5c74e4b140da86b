"""A case study's life in Welsh through a real browser (axe-checked on every visit): a
Welsh-speaking author's draft (a mistake answered in Welsh, in the form), the regional lead's
queue and decision in Welsh, then the Welsh list and page with Welsh region and pillar names."""

from tests.anchors.factories import OrganisationFactory, lead_of, member_of, pillar, region
from tests.e2e.conftest import sign_in

PURCHASING_CY = "Prynu'n lleol ac er budd cymdeithasol"
NORTH_EAST_CY = "Gogledd-ddwyrain Lloegr a Swydd Efrog"


def test_writing_reviewing_and_reading_a_case_study_in_welsh(pages):
    organisation = OrganisationFactory(name="Tyneside Example NHS Foundation Trust", region=region("Y63"))
    author = member_of(organisation, user__language="cy")
    lead = lead_of("Y63")
    page = pages.page

    sign_in(pages, author.email)
    pages.goto("/cy/case-studies/new/")
    assert page.get_attribute("html", "lang") == "cy"
    page.fill("#id_title", "Heat pumps for the hospital laundry")
    pages.submit()
    summary = page.inner_text(".nhsuk-error-summary")
    assert "Mae problem" in summary and "Rhowch grynodeb" in summary and "Dewiswch o leiaf un golofn" in summary
    assert page.input_value("#id_title") == "Heat pumps for the hospital laundry"
    page.fill("#id_summary", "We replaced gas boilers in the laundry with heat pumps.")
    page.check(f"label:has-text(\"{PURCHASING_CY}\")")
    page.fill("#id_measures-0-measure", "Carbon avoided")
    page.fill("#id_measures-0-value", "120")
    page.fill("#id_measures-0-unit", "tonnes CO2e")
    pages.submit()
    main = page.inner_text("main")
    assert "Rhagolwg yw hwn" in main and "Mesurau canlyniadau" in main
    slug = page.url.rstrip("/").rsplit("/", 1)[1]
    pages.submit("button:has-text(\"Cyflwyno i'w adolygu\")")
    assert "Yn aros am adolygiad" in page.inner_text("main")

    sign_in(pages, lead.email)
    pages.goto("/cy/case-studies/moderation/")
    assert "Astudiaeth achos newydd" in page.inner_text("main") and NORTH_EAST_CY in page.inner_text("main")
    pages.follow("text=Heat pumps for the hospital laundry")
    pages.submit("button:has-text(\"Cofnodi'r penderfyniad\")")  # no decision chosen
    assert "Dewiswch benderfyniad" in page.inner_text(".nhsuk-error-summary")
    page.check("#id_decision_0")
    pages.submit("button:has-text(\"Cofnodi'r penderfyniad\")")
    assert "Cyhoeddwyd “Heat pumps for the hospital laundry”." in page.inner_text("main")

    page.context.clear_cookies()
    pages.goto(f"/cy/case-studies/?pillar={pillar('purchasing').slug}")
    main = page.inner_text("main")
    assert "Heat pumps for the hospital laundry" in main and PURCHASING_CY in main
    pages.follow("text=Heat pumps for the hospital laundry")
    main = page.inner_text("main")
    assert NORTH_EAST_CY in main and "Colofnau" in main and "120 tonnes CO2e" in main
    pages.goto(f"/cy/case-studies/{slug}/")
    pages.goto("/cy/case-studies/feeds/")
