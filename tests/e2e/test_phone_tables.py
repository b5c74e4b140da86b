"""On a phone (375 px wide) the organisation profile's evidence tables fit the screen: the
figures by year and the self-assessment levels stack into one card per row, in English and in
Welsh, instead of making the whole page scroll sideways."""

from decimal import Decimal

from anchors.models import Pillar
from evidence import years
from evidence.models import SelfAssessment, SelfAssessmentAnswer
from tests.anchors.factories import OrganisationFactory
from tests.evidence.factories import AnnualFigureFactory, measure

PHONE = {"width": 375, "height": 812}
MEASURES = ("local-spend-share", "local-spend", "social-value-delivered", "apprenticeship-starts", "carbon-saved")


def document_width(pages) -> int:
    return pages.page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def test_the_profile_s_evidence_tables_fit_a_phone_in_english_and_welsh(pages):
    organisation = OrganisationFactory(name="Alder Hey Children's NHS Foundation Trust")
    newest = years.current() - 1
    for slug in MEASURES:
        for year in range(newest - 4, newest + 1):
            AnnualFigureFactory(organisation=organisation, measure=measure(slug), year=year, value=Decimal("1234567.5"))
    for year in (newest - 1, newest):
        assessment = SelfAssessment.objects.create(organisation=organisation, year=year)
        SelfAssessmentAnswer.objects.bulk_create(
            SelfAssessmentAnswer(assessment=assessment, pillar=pillar, level=3) for pillar in Pillar.objects.all()
        )

    pages.page.set_viewport_size(PHONE)
    for path in (organisation.get_absolute_url(), "/cy" + organisation.get_absolute_url()):
        pages.goto(path)
        main = pages.page.locator("main")
        assert main.locator("table").count() == 2
        assert document_width(pages) <= PHONE["width"], f"{path} is {document_width(pages)} px wide"
        for table in main.locator("table").all():
            box = table.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 4  # the design system's 4 px

    # On a wide screen they are tables again, with their headings in the head row.
    pages.page.set_viewport_size({"width": 1280, "height": 800})
    pages.goto(organisation.get_absolute_url())
    assert pages.page.locator("main table thead th").first.is_visible()
    assert not pages.page.locator("main .nhsuk-table-responsive__heading").first.is_visible()
