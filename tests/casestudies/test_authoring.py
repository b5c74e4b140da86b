"""What authors and moderators meet around the case study form and page."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from casestudies import services
from casestudies.forms import MAX_MEASURES, BaseMeasureFormSet
from casestudies.models import CaseStudy
from tests.anchors.factories import OrganisationFactory, coordinator, lead_of, member_of
from tests.factories import UserFactory

from .factories import CaseStudyFactory, OutcomeMeasureFactory, PublishedCaseStudyFactory
from .test_views import form_data

pytestmark = pytest.mark.django_db
S = CaseStudy.Status


@pytest.fixture
def org():
    return OrganisationFactory()  # region Y63


@pytest.fixture
def author(org):
    return member_of(org)


def url(name, cs=None):
    return reverse(f"casestudies:{name}", kwargs={"slug": cs.slug} if cs else None)


# --- Tag suggestions ---------------------------------------------------------------------------


def test_the_form_suggests_only_tags_of_published_case_studies(client, org, author):
    PublishedCaseStudyFactory(tags=["apprenticeships"])
    CaseStudyFactory(tags=["<b id=x>", "secret plans"])  # another organisation's draft
    CaseStudyFactory(organisation=org, status=S.SUBMITTED, tags=["not yet public"])
    client.force_login(author)
    page = client.get(url("create")).content.decode()
    assert "Tags already in use: apprenticeships." in page
    assert "secret plans" not in page and "not yet public" not in page
    assert "<b id=x>" not in page and "&lt;b id=x&gt;" not in page


def test_suggested_tags_are_escaped(client, author):
    PublishedCaseStudyFactory(tags=["<i>markup</i>"])
    client.force_login(author)
    page = client.get(url("create")).content.decode()
    assert "&lt;i&gt;markup&lt;/i&gt;" in page and "<i>markup</i>" not in page


# --- The sidebar ---------------------------------------------------------------------------------


def test_the_sidebar_puts_labels_above_values_so_they_never_split_mid_word(client):
    cs = PublishedCaseStudyFactory(contact_name="Ann Example", contact_email="ann@example.org")
    page = client.get(url("detail", cs)).content.decode()
    assert '<dl class="app-meta">' in page
    assert "<dt>Organisation</dt>" in page and "<dt>Contact</dt>" in page
    assert "nhsuk-summary-list__key" not in page  # its 30% column split "Organi/sation"


# --- Outcome values ------------------------------------------------------------------------------


def test_money_reads_the_uk_way_on_the_page(client):
    cs = PublishedCaseStudyFactory()
    OutcomeMeasureFactory(case_study=cs, measure="Local spend", value=420000, unit="£", baseline=1250.5)
    page = client.get(url("detail", cs)).content.decode()
    assert "£420,000" in page and "£1,250.50" in page and "420,000 £" not in page


# --- The request for changes ---------------------------------------------------------------------


def test_authors_see_the_request_for_changes_above_the_form(client, org, author):
    cs = CaseStudyFactory(organisation=org)
    services.case_study_submit(case_study=cs, by=author)
    services.case_study_request_changes(case_study=cs, by=lead_of("Y63"), comment="Add the 2023 figures.\nThanks")
    client.force_login(author)
    for page in (client.get(url("detail", cs)).content.decode(), client.get(url("edit", cs)).content.decode()):
        callout = page[page.index("nhsuk-warning-callout"):]
        assert "Changes requested" in callout and "Add the 2023 figures.<br>Thanks" in callout
    edit = client.get(url("edit", cs)).content.decode()
    assert edit.index("Add the 2023 figures.") < edit.index("<form method=\"post\" novalidate>")


def test_authors_see_the_request_for_changes_to_a_published_case_study(client, org, author):
    cs = PublishedCaseStudyFactory(organisation=org)
    services.case_study_edit(case_study=cs, by=author, content=services.content_of(cs) | {"lessons": "More"})
    services.case_study_submit(case_study=cs, by=author)
    services.case_study_request_changes(case_study=cs, by=lead_of("Y63"), comment="Say who paid.")
    client.force_login(author)
    for name in ("detail", "edit", "revision"):
        assert "Say who paid." in client.get(url(name, cs)).content.decode(), name


def test_the_request_for_changes_is_not_shown_to_others_or_after_resubmitting(client, org, author):
    cs = CaseStudyFactory(organisation=org)
    services.case_study_submit(case_study=cs, by=author)
    services.case_study_request_changes(case_study=cs, by=lead_of("Y63"), comment="Add the figures.")
    client.force_login(UserFactory())
    assert client.get(url("detail", cs)).status_code == 404
    services.case_study_submit(case_study=cs, by=author)
    client.force_login(author)
    assert "Add the figures." not in client.get(url("detail", cs)).content.decode()


# --- Leads hear about submissions ---------------------------------------------------------------


def test_submitting_emails_the_regions_leads_but_not_the_submitter(org, author, django_capture_on_commit_callbacks):
    lead = lead_of("Y63")
    lead_of("Y56")  # another region's lead
    also_lead = member_of(org)  # leads this region but belongs to the organisation
    from anchors.models import RegionalLead

    RegionalLead.objects.create(user=also_lead, region=org.region)
    cs = CaseStudyFactory(organisation=org)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=cs, by=author)
    assert sorted(address for m in mail.outbox for address in m.to) == [lead.email]
    message = mail.outbox[0]
    assert reverse("casestudies:review", kwargs={"slug": cs.slug}) in message.body


def test_a_lead_who_submits_is_not_emailed_about_their_own_submission(org, django_capture_on_commit_callbacks):
    lead_and_author = lead_of("Y63")
    member_of(org, user=lead_and_author)
    other_lead = lead_of("Y63")
    cs = CaseStudyFactory(organisation=org)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=cs, by=lead_and_author)
    assert [m.to for m in mail.outbox] == [[other_lead.email]]


def test_a_region_without_leads_emails_the_coordinators(org, author, django_capture_on_commit_callbacks):
    boss = coordinator()
    cs = CaseStudyFactory(organisation=org)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=cs, by=author)
    assert [m.to for m in mail.outbox] == [[boss.email]]


def test_resubmitting_after_changes_emails_the_leads_again(org, author, django_capture_on_commit_callbacks):
    lead = lead_of("Y63")
    cs = CaseStudyFactory(organisation=org)
    services.case_study_submit(case_study=cs, by=author)
    services.case_study_request_changes(case_study=cs, by=lead, comment="More detail.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=cs, by=author)
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert mail.outbox[0].subject.startswith("Resubmitted for review")
    assert "/review/" in mail.outbox[0].body


def test_submitted_changes_to_a_published_case_study_email_the_leads(org, author, django_capture_on_commit_callbacks):
    lead = lead_of("Y63")
    cs = PublishedCaseStudyFactory(organisation=org)
    services.case_study_edit(case_study=cs, by=author, content=services.content_of(cs) | {"lessons": "More"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=cs, by=author)
    assert [m.to for m in mail.outbox] == [[lead.email]]


# --- A tampered formset --------------------------------------------------------------------------


@pytest.mark.parametrize("total", ["100000", "abc", ""])
def test_a_changed_row_count_is_reported_and_what_was_typed_is_kept(client, org, author, total):
    client.force_login(author)
    response = client.post(url("create"), form_data(organisation=org.pk, **{"measures-TOTAL_FORMS": total}))
    page = response.content.decode()
    assert response.status_code == 200 and not CaseStudy.objects.exists()
    summary = page[page.index("nhsuk-error-summary"):page.index("</ul>", page.index("nhsuk-error-summary"))]
    assert "The form was changed before it was sent" in summary and 'href="#measures"' in summary
    assert 'id="measures"' in page
    assert "Gowns made locally" in page and 'value="Gowns a week"' in page  # kept
    rows = len(re.findall(r'name="measures-\d+-measure"', page))
    assert 1 <= rows <= MAX_MEASURES
    # The counts sent back match the rows shown, so saving again works.
    assert 'name="measures-TOTAL_FORMS" value="100000"' not in page
    assert 'name="measures-TOTAL_FORMS" value="abc"' not in page


def test_a_form_sent_again_after_the_message_saves(client, org, author):
    client.force_login(author)
    data = form_data(organisation=org.pk, **{"measures-TOTAL_FORMS": "100000"})
    client.post(url("create"), data)
    data["measures-TOTAL_FORMS"] = str(MAX_MEASURES)
    response = client.post(url("create"), data)
    assert response.status_code == 302 and CaseStudy.objects.get().measures.count() == 1


def test_the_formset_never_builds_more_rows_than_the_cap():
    from casestudies.forms import MeasureFormSet

    formset = MeasureFormSet({"measures-TOTAL_FORMS": "100000", "measures-INITIAL_FORMS": "0"}, prefix="measures")
    assert isinstance(formset, BaseMeasureFormSet)
    assert len(formset.forms) == MAX_MEASURES and not formset.is_valid() and formset.was_changed_in_transit


def test_the_outcome_table_becomes_cards_on_a_phone(client):
    cs = PublishedCaseStudyFactory()
    OutcomeMeasureFactory(case_study=cs, measure="Local spend", value=420000, unit="£")
    page = client.get(url("detail", cs)).content.decode()
    assert 'class="nhsuk-table-responsive"' in page
    assert '<span class="nhsuk-table-responsive__heading" aria-hidden="true">Value </span>£420,000' in page
