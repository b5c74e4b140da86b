"""The resource library: suggesting, the shared moderation workflow, who sees what, the form's
answers to bad input, and fixed query counts on its list and in the moderation queue."""

import io

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import sitecache
from accounts import demo as accounts_demo
from anchors import demo as anchors_demo
from casestudies import demo, moderation, personal_data, services
from casestudies.models import Resource, Transition
from tests.anchors.factories import (
    OrganisationFactory,
    coordinator,
    lead_of,
    member_of,
    pending,
    pillar,
)
from tests.factories import ResourceFactory, UserFactory

from .factories import SubmittedCaseStudyFactory

pytestmark = pytest.mark.django_db

S = Resource.Status
PDF = b"%PDF-1.7\n" + b"x" * 64


@pytest.fixture(autouse=True)
def _commit_at_once(monkeypatch):
    """What waits for the commit (emails, retiring cached pages) runs at once, as if each service
    call had committed: the test's own transaction never does."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def org():
    return OrganisationFactory()  # region Y63


@pytest.fixture
def author(org):
    return member_of(org)


@pytest.fixture
def lead():
    return lead_of("Y63")


@pytest.fixture
def other_lead():
    return lead_of("Y56")


@pytest.fixture
def outsider():
    return UserFactory()


def content(**overrides):
    data = {
        "kind": Resource.Kind.TOOLKIT,
        "title": "Social value procurement toolkit",
        "summary": "Tender questions and a scoring grid for local jobs and spending.",
        "url": "https://www.health.org.uk/",
        "date": None,
        "partner_organisation": None,
        "partner_name": "",
        "pillars": [pillar("purchasing").pk],
        "tags": ["social value"],
    }
    data.update(overrides)
    return data


def suggested(org, author, **overrides) -> Resource:
    return services.resource_suggest(organisation=org, by=author, content=content(**overrides))


def upload(name, data):
    f = io.BytesIO(data)
    f.name = name
    return f


# --- Services: suggesting ----------------------------------------------------------------------


def test_a_member_suggests_a_resource_and_the_regions_lead_is_told(org, author, lead):
    resource = suggested(org, author)
    assert resource.status == S.SUBMITTED and resource.submitted_at and resource.suggested_by == author
    assert list(resource.pillars.all()) == [pillar("purchasing")]
    assert [t.name for t in resource.tags.all()] == ["social value"]
    assert [(t.action, t.to_status) for t in resource.transitions.all()] == [
        ("suggested", S.DRAFT), ("submitted", S.SUBMITTED)
    ]
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert resource.title in mail.outbox[0].subject
    assert f"/resources/{resource.slug}/review/" in mail.outbox[0].body


def test_outsiders_and_members_of_unverified_organisations_cannot_suggest(outsider):
    unverified = pending()
    with pytest.raises(PermissionDenied):
        suggested(OrganisationFactory(), outsider)
    with pytest.raises(PermissionDenied):
        suggested(unverified, member_of(unverified))
    assert not Resource.objects.exists()


def test_a_suggestion_needs_a_file_or_a_link(org, author):
    with pytest.raises(ValueError, match="file or a link"):
        suggested(org, author, url="")


def test_slugs_stay_unique(org, author):
    assert suggested(org, author).slug != suggested(org, author).slug


def test_a_partner_named_is_shown_as_the_maker(org, author):
    resource = suggested(org, author, partner_name="The Health Foundation")
    assert resource.made_by == "The Health Foundation"
    assert suggested(org, author).made_by == org.name


# --- Services: moderation through the shared workflow -------------------------------------------


def test_the_lead_publishes_and_the_suggester_is_told(org, author, lead):
    resource = suggested(org, author)
    mail.outbox.clear()
    version = sitecache.content_version()
    resource = services.resource_publish(resource=resource, by=lead, comment="Useful, thank you.")
    assert resource.status == S.PUBLISHED and resource.published_at
    assert sitecache.content_version() != version  # cached pages retired
    assert Resource.objects.published().get() == resource
    last = resource.transitions.last()
    assert (last.action, last.by, last.comment) == ("published", lead, "Useful, thank you.")
    assert mail.outbox[-1].to == [author.email] and resource.title in mail.outbox[-1].subject
    assert "Useful, thank you." in mail.outbox[-1].body


def test_a_coordinator_publishes_anywhere(org, author):
    resource = services.resource_publish(resource=suggested(org, author), by=coordinator())
    assert resource.status == S.PUBLISHED


@pytest.mark.parametrize("who", ["author", "other_lead", "outsider", "own_lead"])
def test_only_the_regions_lead_or_a_coordinator_may_decide(org, author, other_lead, outsider, who):
    resource = suggested(org, author)
    if who == "own_lead":
        person = lead_of("Y63")
        member_of(org, user=person)  # a lead never moderates their own organisation
    else:
        person = {"author": author, "other_lead": other_lead, "outsider": outsider}[who]
    for decide in (
        lambda: services.resource_publish(resource=resource, by=person),
        lambda: services.resource_request_changes(resource=resource, by=person, comment="Shorter"),
        lambda: services.resource_reject(resource=resource, by=person, reason="Not relevant"),
    ):
        with pytest.raises(PermissionDenied):
            decide()
    resource.refresh_from_db()
    assert resource.status == S.SUBMITTED


def test_changes_requested_then_resubmitted(org, author, lead):
    resource = suggested(org, author)
    with pytest.raises(ValueError):
        services.resource_request_changes(resource=resource, by=lead, comment="  ")
    resource = services.resource_request_changes(resource=resource, by=lead, comment="Add the date, please.")
    assert resource.status == S.CHANGES_REQUESTED
    assert "Add the date, please." in mail.outbox[-1].body and mail.outbox[-1].to == [author.email]
    services.resource_edit(resource=resource, by=author, content=content(title="Better title"))
    resource = services.resource_submit(resource=resource, by=author)
    assert resource.status == S.SUBMITTED and resource.title == "Better title"
    assert mail.outbox[-1].to == [lead.email] and "resubmitted" in mail.outbox[-1].subject.lower()


def test_rejecting_needs_a_reason_and_ends_the_workflow(org, author, lead):
    resource = suggested(org, author)
    with pytest.raises(ValueError):
        services.resource_reject(resource=resource, by=lead, reason="")
    resource = services.resource_reject(resource=resource, by=lead, reason="It is an advert.")
    assert resource.status == S.REJECTED
    for step in (
        lambda: services.resource_publish(resource=resource, by=lead),
        lambda: services.resource_submit(resource=resource, by=author),
    ):
        with pytest.raises(services.WorkflowError):
            step()


def test_a_decided_resource_cannot_be_decided_again(org, author, lead):
    resource = services.resource_publish(resource=suggested(org, author), by=lead)
    with pytest.raises(services.WorkflowError):
        services.resource_publish(resource=resource, by=coordinator())


def test_archiving_a_published_resource(org, author, lead, outsider):
    resource = services.resource_publish(resource=suggested(org, author), by=lead)
    with pytest.raises(PermissionDenied):
        services.resource_archive(resource=resource, by=outsider)
    resource = services.resource_archive(resource=resource, by=author)
    assert resource.status == S.ARCHIVED and resource.archived_at
    assert not Resource.objects.published().exists()
    with pytest.raises(services.WorkflowError):
        services.resource_archive(resource=resource, by=author)


def test_authors_edit_until_decided_moderators_may_correct_published(org, author, lead, outsider):
    resource = suggested(org, author)
    with pytest.raises(PermissionDenied):
        services.resource_edit(resource=resource, by=outsider, content=content(title="Hijacked"))
    services.resource_edit(resource=resource, by=author, content=content(title="Edited while waiting"))
    resource = services.resource_publish(resource=resource, by=lead)
    with pytest.raises(PermissionDenied):
        services.resource_edit(resource=resource, by=author, content=content(title="After"))
    resource = services.resource_edit(resource=resource, by=lead, content=content(title="Fixed typo"))
    assert resource.title == "Fixed typo" and resource.status == S.PUBLISHED


def test_an_upload_replaces_the_link_and_a_link_replaces_the_upload(org, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    file = upload("toolkit.pdf", PDF)
    file.size, file.detected_mime, file.detected_extension = len(PDF), "application/pdf", "pdf"
    resource = services.resource_suggest(organisation=org, by=author, content=content(url=""), upload=file)
    assert resource.file and not resource.url and resource.extension == "pdf" and resource.size == len(PDF)
    resource = services.resource_edit(resource=resource, by=author, content=content(url="https://www.elft.nhs.uk/"))
    assert not resource.file and resource.url == "https://www.elft.nhs.uk/" and resource.size is None


# --- The shared mechanism and its records -------------------------------------------------------


def test_case_studies_and_resources_share_one_table_of_steps(org, author, lead):
    case_study = SubmittedCaseStudyFactory(organisation=org)
    assert moderation.STEPS["published"] == ((S.SUBMITTED,), S.PUBLISHED)
    with pytest.raises(moderation.WorkflowError):
        moderation.next_status("published", S.DRAFT)
    assert services.WorkflowError is moderation.WorkflowError
    services.case_study_publish(case_study=case_study, by=lead)
    resource = services.resource_publish(resource=suggested(org, author), by=lead)
    assert Transition.objects.get(case_study=case_study, action="published").resource_id is None
    assert Transition.objects.get(resource=resource, action="published").case_study_id is None


def test_a_step_belongs_to_exactly_one_thing(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transition.objects.create(action="published", to_status="published", at="2024-01-01T00:00Z")


@pytest.mark.parametrize(
    "fields",
    [{"url": "", "file": ""}, {"url": "https://www.health.org.uk/", "file": "resources/a.pdf"},
     {"url": "javascript:alert(1)"}, {"partner_name": "Someone", "partner_organisation_id": "org"}],
    ids=["neither", "both", "javascript-link", "two-partners"],
)
def test_the_database_refuses_impossible_resources(org, fields):
    if fields.get("partner_organisation_id") == "org":
        fields = {**fields, "partner_organisation_id": org.pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceFactory(organisation=org, **fields)


# --- Pages: who sees what -----------------------------------------------------------------------


def url(name, resource=None):
    return reverse(f"casestudies:{name}", kwargs={"slug": resource.slug} if resource else None)


def test_visitors_see_published_resources_in_the_list_and_on_their_page(client, org):
    resource = ResourceFactory(organisation=org, partner_name="The Health Foundation", tags=["procurement"])
    ResourceFactory(organisation=org, status=S.SUBMITTED, title="Still waiting")
    page = client.get(url("resources")).content.decode()
    assert resource.title in page and "Still waiting" not in page
    detail = client.get(url("resource", resource)).content.decode()
    assert "https://www.health.org.uk/" in detail and "external website" in detail
    assert "The Health Foundation" in detail and "procurement" in detail and "Purchasing" in detail


def test_the_list_filters_by_kind_and_ignores_a_made_up_kind(client, org):
    ResourceFactory(organisation=org, kind=Resource.Kind.GUIDE, title="A guide to anchors")
    ResourceFactory(organisation=org, kind=Resource.Kind.REPORT, title="A report on anchors")
    page = client.get(url("resources") + "?kind=guide").content.decode()
    assert "A guide to anchors" in page and "A report on anchors" not in page
    page = client.get(url("resources") + "?kind=<script>").content.decode()
    assert "A guide to anchors" in page and "A report on anchors" in page


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.REJECTED, S.ARCHIVED])
def test_unpublished_resources_are_404_to_visitors_and_outsiders(client, org, outsider, status):
    resource = ResourceFactory(organisation=org, status=status)
    assert client.get(url("resource", resource)).status_code == 404
    client.force_login(outsider)
    assert client.get(url("resource", resource)).status_code == 404
    assert client.get(url("resource_edit", resource)).status_code == 404


def test_members_the_regions_lead_and_coordinators_see_a_suggestion(client, org, author, lead, other_lead):
    resource = ResourceFactory(organisation=org, status=S.SUBMITTED)
    for person in (author, lead, coordinator()):
        client.force_login(person)
        response = client.get(url("resource", resource))
        assert response.status_code == 200 and "Awaiting review" in response.content.decode()
    client.force_login(other_lead)
    assert client.get(url("resource", resource)).status_code == 404


def test_a_lead_never_sees_a_draft(client, org, lead):
    resource = ResourceFactory(organisation=org, status=S.DRAFT)
    client.force_login(lead)
    assert client.get(url("resource", resource)).status_code == 404


def test_the_review_page_is_for_the_regions_moderators_only(client, org, author, lead, other_lead):
    resource = ResourceFactory(organisation=org, status=S.SUBMITTED)
    client.force_login(author)
    assert client.get(url("resource_review", resource)).status_code == 403
    client.force_login(other_lead)
    assert client.get(url("resource_review", resource)).status_code == 404
    client.force_login(lead)
    assert client.get(url("resource_review", resource)).status_code == 200
    response = client.post(url("resource_review", resource), {"decision": "publish", "comment": ""})
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.status == S.PUBLISHED


def test_request_changes_without_a_comment_is_answered_in_the_form(client, org, lead):
    resource = ResourceFactory(organisation=org, status=S.SUBMITTED)
    client.force_login(lead)
    response = client.post(url("resource_review", resource), {"decision": "request_changes", "comment": ""})
    assert response.status_code == 400 and "nhsuk-error-summary" in response.content.decode()
    resource.refresh_from_db()
    assert resource.status == S.SUBMITTED


def test_a_decided_resource_refuses_a_second_decision(client, org, lead):
    resource = ResourceFactory(organisation=org, status=S.PUBLISHED)
    client.force_login(lead)
    page = client.get(url("resource_review", resource)).content.decode()
    assert "Record decision" not in page
    client.post(url("resource_review", resource), {"decision": "reject", "comment": "No"})
    resource.refresh_from_db()
    assert resource.status == S.PUBLISHED


def test_the_queue_shows_resources_beside_case_studies(client, org, lead, author):
    resource = ResourceFactory(organisation=org, status=S.SUBMITTED, title="Toolkit awaiting review")
    case_study = SubmittedCaseStudyFactory(organisation=org)
    client.force_login(lead)
    page = client.get(reverse("casestudies:queue")).content.decode()
    assert resource.title in page and case_study.title in page
    assert url("resource_review", resource) in page
    client.force_login(author)
    assert client.get(reverse("casestudies:queue")).status_code == 403


def test_your_suggestions_lists_them_with_their_status(client, org, author, outsider):
    resource = suggested(org, author)
    client.force_login(author)
    page = client.get(reverse("casestudies:resources_mine")).content.decode()
    assert resource.title in page and "Awaiting review" in page
    client.force_login(outsider)
    assert resource.title not in client.get(reverse("casestudies:resources_mine")).content.decode()


def test_an_uploaded_file_is_served_as_a_download_to_those_who_may_see_it(client, org, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    response = client.post(url("resource_suggest"), {
        "organisation": org.pk, "kind": "report", "title": "Annual anchor report",
        "summary": "What we did this year.", "file": upload("report.pdf", PDF), "pillars": [pillar("workforce").pk],
    })
    assert response.status_code == 302
    resource = Resource.objects.get()
    download = client.get(url("resource_file", resource))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff" and "attachment" in download["Content-Disposition"]
    client.logout()
    assert client.get(url("resource_file", resource)).status_code == 404  # not published yet


# --- Pages: suggesting, and bad input -----------------------------------------------------------


def form_data(org, **overrides):
    data = {
        "organisation": org.pk, "kind": "toolkit", "title": "Kept title",
        "summary": "Kept summary.", "url": "https://www.health.org.uk/",
        "pillars": [pillar("purchasing").pk], "tags": "social value, procurement",
    }
    data.update(overrides)
    return data


def test_a_member_suggests_through_the_form(client, org, author, lead):
    client.force_login(author)
    assert client.get(url("resource_suggest")).status_code == 200
    response = client.post(url("resource_suggest"), form_data(org, partner="Cheshire and Merseyside", date="2024-03-21"))
    resource = Resource.objects.get()
    assert response.status_code == 302 and response["Location"] == resource.get_absolute_url()
    assert resource.status == S.SUBMITTED and resource.partner_name == "Cheshire and Merseyside"
    assert str(resource.date) == "2024-03-21"
    assert sorted(t.name for t in resource.tags.all()) == ["procurement", "social value"]


def test_a_partner_named_as_a_member_organisation_is_linked(client, org, author):
    partner = OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust")
    client.force_login(author)
    client.post(url("resource_suggest"), form_data(org, partner="leeds teaching hospitals nhs trust"))
    resource = Resource.objects.get()
    assert resource.partner_organisation == partner and resource.partner_name == ""


def test_people_without_a_membership_cannot_suggest(client, outsider):
    assert client.get(url("resource_suggest")).status_code == 302  # visitors sign in first
    client.force_login(outsider)
    assert client.get(url("resource_suggest")).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "", "file": None}, "Upload a file or give a link"),
        ({"file": "pdf"}, "Upload a file or give a link, not both"),
        ({"url": "javascript:alert(document.cookie)"}, "starting with https://"),
        ({"url": "ftp://example.org/file"}, "starting with https://"),
        ({"url": "https://"}, "starting with https://"),
        ({"url": "", "file": "exe"}, "must be a PDF, Word"),
        ({"summary": "x" * 601}, "600"),
        ({"title": ""}, "Enter a title"),
        ({"kind": "podcast"}, "Select one of the options shown"),
        ({"pillars": []}, "Choose at least one pillar"),
        ({"date": "31/02/2024"}, "Enter a real date"),
    ],
    ids=["neither", "both", "javascript", "ftp", "no-host", "not-a-document", "long-summary", "no-title",
         "made-up-kind", "no-pillar", "bad-date"],
)
def test_bad_input_is_answered_in_the_form_keeping_what_was_typed(client, org, author, overrides, message,
                                                                  settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = form_data(org, **overrides)
    if data.get("file") == "pdf":
        data["file"] = upload("toolkit.pdf", PDF)
    elif data.get("file") == "exe":
        data["file"] = upload("toolkit.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)
    elif data.get("file") is None:
        data.pop("file", None)
    client.force_login(author)
    response = client.post(url("resource_suggest"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "nhsuk-error-summary" in page and message in page
    if overrides.get("title") != "":
        assert "Kept title" in page
    assert not Resource.objects.exists()


def test_editing_keeps_the_file_when_none_is_chosen(client, org, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)
    data = form_data(org, url="")
    data["file"] = upload("toolkit.pdf", PDF)
    client.post(url("resource_suggest"), data)
    resource = Resource.objects.get()
    edit = form_data(org, url="", title="New title")
    del edit["organisation"]
    response = client.post(url("resource_edit", resource), edit)
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "New title" and resource.file


def test_outsiders_cannot_edit_and_authors_cannot_edit_once_published(client, org, author, outsider):
    resource = ResourceFactory(organisation=org, status=S.PUBLISHED)
    client.force_login(outsider)
    assert client.get(url("resource_edit", resource)).status_code == 403
    client.force_login(author)
    assert client.get(url("resource_edit", resource)).status_code == 403
    waiting = ResourceFactory(organisation=org, status=S.SUBMITTED)
    assert client.get(url("resource_edit", waiting)).status_code == 200


# --- Personal data and demo data ----------------------------------------------------------------


def test_a_deleted_suggester_leaves_the_resource_without_their_name(org, author):
    resource = suggested(org, author)
    exported = personal_data.export(author)
    assert [row["title"] for row in exported["resources_you_suggested"]] == [resource.title]
    personal_data.erase(author)
    resource.refresh_from_db()
    assert resource.suggested_by is None and resource.status == S.SUBMITTED


def test_demo_resources_load_once_across_kinds_with_one_waiting_for_the_lead():
    for step in (accounts_demo.seed, anchors_demo.seed, demo.seed, demo.seed):
        step()
    published = Resource.objects.published()
    assert 8 <= published.count() <= 12
    assert set(published.values_list("kind", flat=True)) == set(Resource.Kind.values)
    assert all(r.url.startswith("https://") for r in published)
    waiting = Resource.objects.awaiting_moderation_by(accounts_demo.demo_user("lead"))
    assert waiting.count() == 1


# --- Query counts -------------------------------------------------------------------------------


def count(client, path: str, expected: list[str]) -> None:
    """GET `path` built from nothing and check it ran exactly the queries named."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    ran = [q["sql"] for q in ctx.captured_queries]
    assert len(ran) == len(expected), "\n".join(f"{i}. {sql}" for i, sql in enumerate(ran, 1))


def at_1_and_50(client, path, expected, add):
    add(1)
    count(client, path, expected)
    add(49)
    count(client, path, expected)


def published_rows(org, n):
    for _ in range(n):
        ResourceFactory(organisation=org, pillars=[pillar("purchasing"), pillar("workforce")])


def test_the_list_runs_the_same_queries_for_1_and_50_visitors(client, org):
    expected = [
        "the number of published resources (paginator)",
        "a page of them, with organisation, region and partner joined",
        "their pillars (prefetch)",
    ]
    at_1_and_50(client, url("resources"), expected, lambda n: published_rows(org, n))


def test_the_list_runs_the_same_queries_for_1_and_50_members(client, org, author):
    client.force_login(author)
    expected = [
        "the session (cache cleared)", "the user",
        "their roles (may they suggest?)",
        "the number of published resources (paginator)",
        "a page of them, with organisation, region and partner joined",
        "their pillars (prefetch)",
    ]
    at_1_and_50(client, url("resources") + "?kind=toolkit", expected, lambda n: published_rows(org, n))


def test_the_queue_runs_the_same_queries_for_1_and_50_resources(client, org, lead):
    client.force_login(lead)
    expected = [
        "the session (cache cleared)", "the user",
        "their roles: coordinator, regions led, organisations (one query)",
        "submitted case studies awaiting them",
        "submitted revisions awaiting them",
        "submitted resources awaiting them, with organisation and region joined",
    ]

    def add(n):
        for _ in range(n):
            ResourceFactory(organisation=org, status=S.SUBMITTED)

    at_1_and_50(client, reverse("casestudies:queue"), expected, add)
