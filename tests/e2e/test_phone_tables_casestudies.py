"""On a phone (375 px wide) the tables of the resource pages fit the screen: a member's own
suggested resources (/resources/yours/) and the lead's moderation queue (case studies and
suggested resources) stack into one card per row, in English and in Welsh, instead of making
the whole page scroll sideways."""

from django.utils import timezone

from casestudies.models import CaseStudy
from tests.anchors.factories import OrganisationFactory, lead_of, member_of
from tests.casestudies.factories import CaseStudyFactory
from tests.e2e.conftest import sign_in
from tests.factories import ResourceFactory

PHONE = {"width": 375, "height": 812}
LONG_NAME = "Gateshead Health and Community Services NHS Foundation Trust"
LONG_TITLE = "Buying locally: a procurement toolkit for social value in estates and facilities"


def document_width(pages) -> int:
    return pages.page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def assert_fits(pages, path: str, tables: int) -> None:
    for url in (path, "/cy" + path):
        pages.goto(url)
        assert pages.page.locator("main table").count() == tables
        width = document_width(pages)
        assert width <= PHONE["width"], f"{url} is {width} px wide"


def test_your_resources_fit_a_phone_in_english_and_welsh(pages):
    organisation = OrganisationFactory(name=LONG_NAME)
    member = member_of(organisation)
    for status in ("submitted", "changes_requested", "published"):
        ResourceFactory(organisation=organisation, suggested_by=member, title=LONG_TITLE, status=status)

    sign_in(pages, member.email)
    pages.page.set_viewport_size(PHONE)
    assert_fits(pages, "/resources/yours/", tables=1)


def test_the_moderation_queue_fits_a_phone_in_english_and_welsh(pages):
    organisation = OrganisationFactory(name=LONG_NAME)
    lead = lead_of(organisation.region.code)
    ResourceFactory(organisation=organisation, title=LONG_TITLE, status="submitted", kind="event_recording")
    case_study = CaseStudyFactory(organisation=organisation, title=LONG_TITLE)
    CaseStudy.objects.filter(pk=case_study.pk).update(status="submitted", submitted_at=timezone.now(),
                                                      published_at=None)

    sign_in(pages, lead.email)
    pages.page.set_viewport_size(PHONE)
    assert_fits(pages, "/case-studies/moderation/", tables=2)

    # On a wide screen they are tables again, with their headings in the head row.
    pages.page.set_viewport_size({"width": 1280, "height": 800})
    pages.goto("/case-studies/moderation/")
    assert pages.page.locator("main table thead th").first.is_visible()
    assert not pages.page.locator("main .nhsuk-table-responsive__heading").first.is_visible()
