"""The case-study pages and emails in Welsh (/cy/...), with regions and pillars by their Welsh
names; what members wrote stays as they wrote it; the same queries as in English.

Needs the compiled catalogue with the case studies' Welsh: `python scripts/welsh.py build`.
"""

import html

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from casestudies import services
from casestudies.models import CaseStudy
from tests.anchors.factories import OrganisationFactory, lead_of, member_of, pillar, region
from tests.test_query_counts import DETAIL, LIST, ROLES, SIGNED_IN, at_1_and_50, published

from .factories import (
    CaseStudyFactory,
    OutcomeMeasureFactory,
    PublishedCaseStudyFactory,
    SubmittedCaseStudyFactory,
)

pytestmark = pytest.mark.django_db

NORTH_EAST_CY = "Gogledd-ddwyrain Lloegr a Swydd Efrog"  # region Y63
PURCHASING_CY = "Prynu'n lleol ac er budd cymdeithasol"  # pillar "purchasing"


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request to a /cy/ page leaves Welsh active in this thread: reset it, so `reverse` and
    the next test start in English."""
    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


def welsh(name: str, *args) -> str:
    with translation.override("cy"):
        return reverse(name, args=args)


def english(name: str, *args) -> str:
    """An English address, whatever language the last request left active in this thread."""
    with translation.override("en-gb"):
        return reverse(name, args=args)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def org():
    return OrganisationFactory(name="Gateshead Health", region=region("Y63"))


@pytest.fixture
def author(org):
    return member_of(org, user__language="cy", user__full_name="Siân Jones")


@pytest.fixture
def lead():
    return lead_of("Y63")


def test_the_reference_data_has_the_welsh_names_these_tests_look_for():
    assert region("Y63").name_cy == NORTH_EAST_CY
    assert pillar("purchasing").name_cy == PURCHASING_CY


# --- Pages ---------------------------------------------------------------------------------------


def test_the_list_and_its_facets_are_in_welsh_with_welsh_region_and_pillar_names(client, org):
    PublishedCaseStudyFactory(organisation=org, title="Buying from local firms", pillars=[pillar("purchasing")])
    english = text_of(client.get(reverse("casestudies:list")))  # fills the English fragments first
    assert "North East and Yorkshire" in english and PURCHASING_CY not in english

    page = text_of(client.get(welsh("casestudies:list")))

    assert '<html lang="cy"' in page
    assert "Astudiaethau achos ac adnoddau" in page and "Hidlo astudiaethau achos ac adnoddau" in page
    assert f"{PURCHASING_CY} (1)" in page and f"{NORTH_EAST_CY} (1)" in page  # the facets
    assert f"Gateshead Health · {NORTH_EAST_CY} · Cyhoeddwyd" in page  # the card
    assert f'nhsuk-u-margin-bottom-0">{PURCHASING_CY}</p>' in page  # the card's pillars
    assert "Buying from local firms" in page  # members' words stay as written
    assert "North East and Yorkshire" not in page


def test_a_filtered_list_in_welsh_names_the_chosen_pillar_in_welsh(client, org):
    PublishedCaseStudyFactory(organisation=org, pillars=[pillar("purchasing")])
    page = text_of(client.get(welsh("casestudies:list") + "?pillar=purchasing"))
    assert "1 astudiaeth achos." in page and f"{PURCHASING_CY} (1)" in page


def test_a_case_study_page_is_in_welsh_but_its_text_is_as_written(client, org):
    case_study = PublishedCaseStudyFactory(
        organisation=org, title="Buying from local firms", context="Too little stayed local.",
        pillars=[pillar("purchasing")], tags=["social value"], period="2021 to 2023",
    )
    OutcomeMeasureFactory(case_study=case_study, measure="Local spend", value=61, unit="%")

    page = text_of(client.get(welsh("casestudies:detail", case_study.slug)))

    assert '<html lang="cy"' in page
    for words in ("Y cyd-destun a'r broblem", "Mesurau canlyniadau", "Llinell sylfaen", "Sefydliad",
                  "Rhanbarth", "Colofnau", "Tagiau", "Cyfnod dan sylw", "Cyhoeddwyd",
                  NORTH_EAST_CY, PURCHASING_CY):
        assert words in page, words
    for words in ("Buying from local firms", "Too little stayed local.", "Local spend", "61%", "2021 to 2023"):
        assert words in page, words
    assert "Outcome measures" not in page and "The context and the problem" not in page


def test_the_english_page_is_unchanged_after_a_welsh_visit(client, org):
    case_study = PublishedCaseStudyFactory(organisation=org, pillars=[pillar("purchasing")])
    client.get(welsh("casestudies:detail", case_study.slug))
    page = text_of(client.get(english("casestudies:detail", case_study.slug)))
    assert "The context and the problem" in page and "North East and Yorkshire" in page
    assert NORTH_EAST_CY not in page


def test_an_authors_preview_and_history_are_in_welsh(client, org, author):
    draft = services.case_study_create(organisation=org, by=author, content={
        "title": "A draft", "summary": "Short.", "context": "Some context.", "approach": "", "outcomes": "",
        "lessons": "", "next_steps": "", "period": "", "contact_name": "", "contact_email": "",
        "pillars": [pillar("purchasing").pk], "tags": [], "measures": [], "partners": [],
    })
    client.force_login(author)
    page = text_of(client.get(welsh("casestudies:detail", draft.slug)))
    assert "Rhagolwg yw hwn: dim ond eich sefydliad chi all ei gweld." in page
    assert "Cyflwyno i'w adolygu" in page and "Hanes a sylwadau" in page
    history = text_of(client.get(welsh("casestudies:history", draft.slug)))
    assert "Dechreuwyd drafft gan Siân Jones" in history and "Ar hyn o bryd:" in history


def test_a_bad_edit_is_answered_in_welsh_in_the_form_keeping_what_was_typed(client, org, author):
    client.force_login(author)
    response = client.post(welsh("casestudies:create"), {
        "organisation": org.pk, "title": "", "summary": "Kept summary", "approach": "[" * 200,
        "measures-TOTAL_FORM_COUNT": "2", "measures-INITIAL_FORM_COUNT": "0",
        "measures-MIN_NUM_FORM_COUNT": "0", "measures-MAX_NUM_FORM_COUNT": "30",
        "measures-0-measure": "Local spend", "measures-0-value": "lots",
    })

    assert response.status_code == 200
    page = text_of(response)
    assert "Mae problem" in page  # the error summary
    for error in ("Rhowch deitl", "Dewiswch o leiaf un golofn", "Rhowch rif", "Rhowch yr uned",
                  "Beth a wnaed: Mae gormod o gromfachau"):
        assert error in page, error
    for label in ("Teitl", "Crynodeb", "Colofnau", "Y cyd-destun a'r broblem", "Mesur 1", "Mesur safonol",
                  "Cadw'r drafft", PURCHASING_CY):
        assert label in page, label
    assert "Kept summary" in page and "Local spend" in page
    assert not CaseStudy.objects.exists()


def test_the_moderation_queue_and_review_page_for_a_lead_are_in_welsh(client, org, lead):
    waiting = SubmittedCaseStudyFactory(organisation=org, title="Waiting for a decision")
    client.force_login(lead)

    queue = text_of(client.get(welsh("casestudies:queue")))
    assert "Yn aros am eich adolygiad" in queue and "Astudiaeth achos newydd" in queue
    assert NORTH_EAST_CY in queue and "Waiting for a decision" in queue

    review = client.post(welsh("casestudies:review", waiting.slug), {"decision": "reject", "comment": ""})
    page = text_of(review)
    assert review.status_code == 200 and "Mae problem" in page
    assert "Rhowch reswm dros ei gwrthod" in page and "Cofnodi'r penderfyniad" in page
    assert "Astudiaeth achos newydd, a gyflwynwyd ar" in page


def test_a_revision_and_its_differences_are_in_welsh(client, org, author):
    case_study = PublishedCaseStudyFactory(organisation=org, context="Old words.", pillars=[pillar("purchasing")])
    content = services.content_of(case_study) | {"context": "New words.", "tags": ["procurement"]}
    services.case_study_edit(case_study=case_study, by=author, content=content)
    client.force_login(author)
    page = text_of(client.get(welsh("casestudies:revision", case_study.slug)))
    for words in ("Eich newidiadau arfaethedig", "Beth sy'n newid", "Y fersiwn a gyhoeddwyd",
                  "Y fersiwn arfaethedig", "Wedi newid: gweler y fersiwn arfaethedig isod.",
                  f"Colofnau: {PURCHASING_CY}. Tagiau: procurement."):
        assert words in page, words


def test_a_message_after_an_action_is_in_welsh(client, org, author):
    draft = CaseStudyFactory(organisation=org)
    client.force_login(author)
    page = text_of(client.post(welsh("casestudies:submit", draft.slug), follow=True))
    assert "Cyflwynwyd i'w adolygu. Byddwn yn anfon e-bost atoch pan fydd penderfyniad wedi'i wneud." in page


def test_the_feeds_page_names_pillars_and_regions_in_welsh(client):
    page = text_of(client.get(welsh("casestudies:feeds")))
    assert "Yn ôl colofn" in page and PURCHASING_CY in page and NORTH_EAST_CY in page


# --- Emails --------------------------------------------------------------------------------------


def test_a_welsh_speaking_author_hears_the_decision_in_welsh(org, author, lead, django_capture_on_commit_callbacks):
    case_study = SubmittedCaseStudyFactory(organisation=org, title="Buying from local firms", created_by=author)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_request_changes(case_study=case_study, by=lead, comment="Add the figures.")

    (message,) = mail.outbox
    html_part = message.alternatives[0][0]
    assert message.subject == "Gofynnwyd am newidiadau: Buying from local firms"
    assert "Mae angen gwneud rhai newidiadau i'ch astudiaeth achos \"Buying from local firms\"" in message.body
    assert "Sylw gan yr adolygydd:\nAdd the figures." in message.body
    assert "Gweld yr astudiaeth achos: " in message.body and "/cy/case-studies/" in message.body
    assert '<html lang="cy">' in html_part and "<strong>Buying from local firms</strong>" in html_part
    assert "Gweld yr astudiaeth achos</a> neu" in html_part

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=case_study, by=author)
        services.case_study_publish(case_study=case_study, by=lead)
    to_lead, to_author = mail.outbox
    # The lead chose English: the email about the resubmission is in English.
    assert to_lead.subject == "Resubmitted for review: Buying from local firms"
    assert "Gateshead Health has made the changes asked for and submitted a case study for review:" in to_lead.body
    assert to_author.subject == "Cyhoeddwyd: Buying from local firms"
    assert "Mae eich astudiaeth achos \"Buying from local firms\" wedi'i chyhoeddi." in to_author.body


def test_a_welsh_speaking_lead_is_told_of_a_submission_in_welsh(org, django_capture_on_commit_callbacks):
    lead = lead_of("Y63")
    lead.language = "cy"
    lead.save(update_fields=["language"])
    author = member_of(org)
    case_study = CaseStudyFactory(organisation=org, title="New work")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=case_study, by=author)
    (message,) = mail.outbox
    assert message.subject == "Astudiaeth achos i'w hadolygu: New work"
    assert "Mae Gateshead Health wedi cyflwyno astudiaeth achos i'w hadolygu:" in message.body
    assert "Ei adolygu: " in message.body and "/cy/case-studies/" in message.body


# --- Query counts ---------------------------------------------------------------------------------
# The Welsh pages run the same queries as the English ones (tests/test_query_counts.py names them):
# Welsh names come with the rows already read, and cached labels are kept per language.


def test_the_welsh_list_runs_the_same_queries(client, org):
    at_1_and_50(client, welsh("casestudies:list"), LIST, lambda n: published(org, n))


def test_the_welsh_case_study_page_runs_the_same_queries(client, org):
    shown = PublishedCaseStudyFactory(organisation=org, slug="shown", tags=["tag 1"])

    def add(n):
        published(org, n)
        for _ in range(n):
            OutcomeMeasureFactory(case_study=shown)

    at_1_and_50(client, welsh("casestudies:detail", "shown"), DETAIL, add)


def test_the_welsh_moderation_queue_runs_the_same_queries(client, org, lead):
    client.force_login(lead)
    expected = [*SIGNED_IN, ROLES, "submitted case studies awaiting them", "submitted revisions awaiting them",
                "submitted resources awaiting them"]

    def add(n):
        for _ in range(n):
            SubmittedCaseStudyFactory(organisation=org)

    at_1_and_50(client, welsh("casestudies:queue"), expected, add)
