import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casestudies.models import Attachment, CaseStudy, Transition
from tests.anchors.factories import (
    OrganisationFactory,
    coordinator,
    lead_of,
    member_of,
    pillar,
    region,
)
from tests.factories import UserFactory

from .factories import (
    CaseStudyFactory,
    OutcomeMeasureFactory,
    PublishedCaseStudyFactory,
    SubmittedCaseStudyFactory,
)

pytestmark = pytest.mark.django_db
S = CaseStudy.Status


@pytest.fixture
def org():
    return OrganisationFactory()


@pytest.fixture
def author(org):
    return member_of(org)


@pytest.fixture
def lead():
    return lead_of("Y63")


def url(name, cs=None, **kw):
    return reverse(f"casestudies:{name}", kwargs={"slug": cs.slug} if cs else kw or None)


# --- Visibility ---------------------------------------------------------------------------------


def test_visitors_see_published_case_studies_with_their_outcomes(client, org):
    cs = PublishedCaseStudyFactory(organisation=org, tags=["social value"], context="**Bold** <script>x</script>")
    OutcomeMeasureFactory(case_study=cs, measure="Local spend", value=61, unit="%", baseline=22)
    OutcomeMeasureFactory(case_study=cs, measure="Gowns", value=2000000, unit="gowns")
    page = client.get(url("detail", cs)).content.decode()
    assert cs.title in page and "Local spend" in page and "61%" in page and "22%" in page
    assert "2,000,000 gowns" in page
    assert "<strong>Bold</strong>" in page and "<script>x" not in page
    assert f'?pillar={pillar("purchasing").slug}' in page and "?tag=social-value" in page


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.REJECTED])
def test_unpublished_case_studies_are_404_to_visitors_and_outsiders(client, org, status):
    cs = CaseStudyFactory(organisation=org, status=status)
    assert client.get(url("detail", cs)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url("detail", cs)).status_code == 404


def test_members_preview_their_draft(client, org, author):
    cs = CaseStudyFactory(organisation=org)
    client.force_login(author)
    page = client.get(url("detail", cs)).content.decode()
    assert "This is a preview" in page and "Submit for review" in page


def test_lead_cannot_see_a_draft_but_sees_a_submitted_one(client, org, lead):
    client.force_login(lead)
    assert client.get(url("detail", CaseStudyFactory(organisation=org))).status_code == 404
    assert client.get(url("detail", SubmittedCaseStudyFactory(organisation=org))).status_code == 200


def test_archived_page_stays_with_a_notice_but_leaves_the_list(client, org):
    cs = PublishedCaseStudyFactory(organisation=org, status=S.ARCHIVED, title="An archived story")
    assert "has been archived" in client.get(url("detail", cs)).content.decode()
    assert "An archived story" not in client.get(url("list")).content.decode()


# --- Authoring ----------------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "organisation": "", "title": "Gowns made locally", "summary": "We made our own gowns.",
        "pillars": [pillar("purchasing").pk], "tags": "textiles, covid-19", "period": "2020",
        "contact_name": "", "contact_email": "", "partners": "",
        "context": "A shortage.", "approach": "A hub.", "outcomes": "", "lessons": "", "next_steps": "",
        "measures-TOTAL_FORMS": "2", "measures-INITIAL_FORMS": "0", "measures-MIN_NUM_FORMS": "0",
        "measures-MAX_NUM_FORMS": "30",
        "measures-0-measure": "Gowns a week", "measures-0-value": "6000", "measures-0-unit": "gowns",
        "measures-0-period": "May 2020", "measures-0-baseline": "",
    }
    data.update(overrides)
    return data


def test_a_member_writes_a_draft(client, org, author):
    client.force_login(author)
    assert client.get(url("create")).status_code == 200
    response = client.post(url("create"), form_data(organisation=org.pk))
    cs = CaseStudy.objects.get()
    assert response.status_code == 302 and response.url == cs.get_absolute_url()
    assert cs.status == S.DRAFT and sorted(cs.tags.names()) == ["covid-19", "textiles"]
    assert cs.measures.get().measure == "Gowns a week"


def test_bad_input_shows_errors_and_keeps_what_was_typed(client, org, author):
    client.force_login(author)
    response = client.post(url("create"), form_data(organisation=org.pk, title="", pillars=[],
                                                     **{"measures-1-value": "lots"}))
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Enter a title" in page and "Choose at least one pillar" in page and "Enter a number" in page
    assert "We made our own gowns." in page
    assert not CaseStudy.objects.exists()


def test_people_without_a_membership_cannot_write(client):
    client.force_login(UserFactory())
    assert client.get(url("create")).status_code == 403


def test_outsiders_cannot_edit(client, org):
    cs = PublishedCaseStudyFactory(organisation=org)
    client.force_login(UserFactory())
    assert client.get(url("edit", cs)).status_code == 403
    assert client.post(url("submit", cs)).status_code == 403


def test_submitted_is_read_only_to_its_authors(client, org, author):
    cs = SubmittedCaseStudyFactory(organisation=org)
    client.force_login(author)
    response = client.post(url("edit", cs), form_data(title="Sneaky change"))
    assert response.status_code == 302
    cs.refresh_from_db()
    assert cs.title != "Sneaky change"


def test_editing_published_shows_changes_to_the_reviewer(client, org, author, lead):
    cs = PublishedCaseStudyFactory(organisation=org, title="Gowns made locally", summary="Old summary")
    client.force_login(author)
    client.post(url("edit", cs), form_data(summary="A new summary"))
    client.post(url("submit", cs))
    cs.refresh_from_db()
    assert cs.summary == "Old summary"
    client.force_login(lead)
    page = client.get(url("review", cs)).content.decode()
    assert "<del><span class=\"nhsuk-u-visually-hidden\">removed: </span>Old</del>" in page
    assert "<ins><span class=\"nhsuk-u-visually-hidden\">added: </span>A new</ins>" in page
    assert "Changes to a published case study" in client.get(url("queue")).content.decode()


# --- Moderation ---------------------------------------------------------------------------------


def test_the_queue_is_for_leads_and_coordinators(client, org, author, lead):
    SubmittedCaseStudyFactory(organisation=org, title="Waiting here")
    client.force_login(author)
    assert client.get(url("queue")).status_code == 403
    client.force_login(lead)
    assert "Waiting here" in client.get(url("queue")).content.decode()


def test_review_refused_to_other_regions_and_own_organisation(client, org, author):
    cs = SubmittedCaseStudyFactory(organisation=org)
    client.force_login(lead_of("Y56"))
    assert client.get(url("review", cs)).status_code == 404  # not theirs to see: no leak
    client.force_login(author)
    assert client.get(url("review", cs)).status_code == 403


def test_request_changes_without_comment_shows_an_error(client, org, lead):
    cs = SubmittedCaseStudyFactory(organisation=org)
    client.force_login(lead)
    page = client.post(url("review", cs), {"decision": "request_changes", "comment": ""}).content.decode()
    assert "Say what needs to change" in page
    cs.refresh_from_db()
    assert cs.status == S.SUBMITTED


def test_a_decided_item_shows_no_buttons_and_refuses_a_second_decision(client, org, lead):
    cs = SubmittedCaseStudyFactory(organisation=org)
    client.force_login(lead)
    assert client.post(url("review", cs), {"decision": "publish", "comment": ""}).status_code == 302
    page = client.get(url("review", cs)).content.decode()
    assert "Record decision" not in page and "has been decided" in page
    client.post(url("review", cs), {"decision": "reject", "comment": "Changed my mind"})
    cs.refresh_from_db()
    assert cs.status == S.PUBLISHED
    assert Transition.objects.filter(case_study=cs, action="rejected").count() == 0


def test_history_shows_each_decision_and_comment_to_authors_only(client, org, author, lead):
    cs = SubmittedCaseStudyFactory(organisation=org)
    client.force_login(lead)
    client.post(url("review", cs), {"decision": "request_changes", "comment": "Please add figures"})
    client.force_login(author)
    page = client.get(url("history", cs)).content.decode()
    assert "Changes requested" in page and "Please add figures" in page
    client.force_login(UserFactory())
    assert client.get(url("history", cs)).status_code == 404


# --- Uploads ------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def upload(name, data):
    f = io.BytesIO(data)
    f.name = name
    return f


@pytest.fixture
def draft(org):
    return CaseStudyFactory(organisation=org)


def test_a_pdf_is_attached_and_served_as_a_download(client, draft, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    response = client.post(url("attachment_add", draft), {"file": upload("report.pdf", PDF), "title": "Report"})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    served = client.get(attachment.get_absolute_url())
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff" and "sandbox" in served["Content-Security-Policy"]
    client.logout()
    assert client.get(attachment.get_absolute_url()).status_code == 404  # the draft is not public


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.pdf", PDF + b"x" * (10 * 1024 * 1024), "10 MB or smaller"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "must be a PDF, Word"),
        ("picture.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "must be a PDF, Word"),
        ("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "must be a PDF, Word"),
        ("tool.docx", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "must be a PDF, Word"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(client, draft, author, settings, tmp_path, name, data, message):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    response = client.post(url("attachment_add", draft), {"file": upload(name, data), "title": "Kept title"})
    page = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in page and message in page
    assert 'value="Kept title"' in page
    assert not Attachment.objects.exists()


def test_an_image_needs_alt_text(client, draft, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    response = client.post(url("attachment_add", draft), {"file": upload("a.png", PNG), "title": "Hub"})
    assert "Enter alternative text" in response.content.decode()
    client.post(url("attachment_add", draft), {"file": upload("a.png", PNG), "title": "Hub", "alt_text": "Machinists"})
    served = client.get(Attachment.objects.get().get_absolute_url())
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"


def test_outsiders_cannot_upload(client, draft):
    client.force_login(UserFactory())
    assert client.post(url("attachment_add", draft), {"file": upload("r.pdf", PDF), "title": "R"}).status_code == 404
    published = PublishedCaseStudyFactory(organisation=draft.organisation)
    assert client.post(url("attachment_add", published), {"file": upload("r.pdf", PDF), "title": "R"}).status_code == 403


# --- Query counts -------------------------------------------------------------------------------


def _count(client, path):
    cache.clear()  # count a page built from nothing, not one served from the page cache
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def _published(n, org):
    for i in range(n):
        cs = PublishedCaseStudyFactory(organisation=org, tags=[f"tag{i % 5}"], pillars=[pillar("purchasing"), pillar("workforce")])
        OutcomeMeasureFactory(case_study=cs)


def test_list_runs_the_same_queries_for_1_and_50(client, org):
    _published(1, org)
    one = _count(client, url("list") + "?pillar=purchasing")
    _published(49, OrganisationFactory(region=region("Y56")))
    assert _count(client, url("list") + "?pillar=purchasing") == one


def test_search_runs_the_same_queries_for_1_and_50(client, org):
    _published(1, org)
    one = _count(client, url("list") + "?q=local+suppliers")
    _published(49, org)
    assert _count(client, url("list") + "?q=local+suppliers") == one


def test_queue_runs_the_same_queries_for_1_and_50(client, org, lead):
    client.force_login(lead)
    SubmittedCaseStudyFactory(organisation=org)
    one = _count(client, url("queue"))
    for _ in range(49):
        SubmittedCaseStudyFactory(organisation=org)
    assert _count(client, url("queue")) == one


def test_detail_runs_the_same_queries_with_1_and_50_related_rows(client, org):
    cs = PublishedCaseStudyFactory(organisation=org, tags=["a"])
    OutcomeMeasureFactory(case_study=cs)
    _published(1, org)  # one related case study
    one = _count(client, url("detail", cs))
    for i in range(49):
        OutcomeMeasureFactory(case_study=cs, measure=f"m{i}")
        cs.tags.add(f"t{i}")
    _published(10, org)
    _published(10, OrganisationFactory(region=region("Y56")))
    assert _count(client, url("detail", cs)) == one


def test_related_shares_a_pillar_or_tag_and_puts_the_same_region_first(client, org):
    cs = PublishedCaseStudyFactory(organisation=org, pillars=[pillar("estates")], tags=["housing"])
    near = PublishedCaseStudyFactory(organisation=org, title="Near by", pillars=[pillar("estates")])
    PublishedCaseStudyFactory(organisation=OrganisationFactory(region=region("Y56")), title="Far away newer",
                              pillars=[pillar("workforce")], tags=["housing"])
    PublishedCaseStudyFactory(organisation=org, title="Unrelated", pillars=[pillar("workforce")])
    related = client.get(url("detail", cs)).context["related"]
    assert [r.title for r in related] == [near.title, "Far away newer"]


def test_organisation_profile_lists_its_published_case_studies(client, org):
    PublishedCaseStudyFactory(organisation=org, title="Shown on the profile")
    CaseStudyFactory(organisation=org, title="Still a draft")
    page = client.get(org.get_absolute_url()).content.decode()
    assert "Shown on the profile" in page and "Still a draft" not in page


def test_feeds(client, org):
    PublishedCaseStudyFactory(organisation=org, title="In the feed")
    CaseStudyFactory(organisation=org, title="Not in the feed")
    for path in (url("feed"), reverse("casestudies:feed_pillar", kwargs={"slug": "purchasing"}),
                 reverse("casestudies:feed_region", kwargs={"slug": org.region.slug})):
        response = client.get(path)
        body = response.content.decode()
        assert response["Content-Type"].startswith("application/atom+xml")
        assert "In the feed" in body and "Not in the feed" not in body
    assert "In the feed" not in client.get(reverse("casestudies:feed_pillar", kwargs={"slug": "estates"})).content.decode()


def test_coordinator_sees_the_queue(client, org):
    SubmittedCaseStudyFactory(organisation=org, title="Anywhere")
    client.force_login(coordinator())
    assert "Anywhere" in client.get(url("queue")).content.decode()


def test_an_attachment_whose_file_is_gone_is_not_found_rather_than_an_error(
    client, draft, author, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    client.post(url("attachment_add", draft), {"file": upload("report.pdf", PDF), "title": "Report"})
    attachment = Attachment.objects.get()
    (tmp_path / attachment.file.name).unlink()
    assert client.get(attachment.get_absolute_url()).status_code == 404
