"""The workflow: each transition with an allowed and a refused actor, and from a wrong state."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from casestudies import services
from casestudies.models import CaseStudy, Revision, Transition
from tests.anchors.factories import (
    OrganisationFactory,
    coordinator,
    lead_of,
    member_of,
    pillar,
    region,
)
from tests.factories import UserFactory

from .factories import CaseStudyFactory, PublishedCaseStudyFactory, SubmittedCaseStudyFactory

pytestmark = pytest.mark.django_db

S = CaseStudy.Status


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


def content(**overrides):
    data = {
        "title": "Local jobs for local people",
        "summary": "How we hired from the neighbourhoods around our hospitals.",
        "context": "Few local people worked for us.",
        "approach": "A pre-employment programme.",
        "outcomes": "", "lessons": "", "next_steps": "",
        "period": "2021 to 2023", "contact_name": "", "contact_email": "",
        "pillars": [pillar("workforce").pk], "tags": ["employment"],
        "measures": [{"measure": "People into work", "value": "166", "unit": "people", "period": "2022", "baseline": ""}],
        "partners": [{"organisation": None, "name": "City College"}],
    }
    data.update(overrides)
    return data


def test_a_member_creates_a_draft_with_its_content(org, author):
    cs = services.case_study_create(organisation=org, by=author, content=content())
    assert cs.status == S.DRAFT and cs.slug == "local-jobs-for-local-people"
    assert list(cs.tags.names()) == ["employment"]
    assert cs.measures.get().value == 166
    assert cs.partners.get().name == "City College"
    assert Transition.objects.get(case_study=cs).action == "created"


def test_an_outsider_cannot_create_a_case_study(org):
    with pytest.raises(PermissionDenied):
        services.case_study_create(organisation=org, by=UserFactory(), content=content())


def test_a_member_of_an_unverified_organisation_cannot_create():
    org = OrganisationFactory(status="pending")
    with pytest.raises(PermissionDenied):
        services.case_study_create(organisation=org, by=member_of(org), content=content())


def test_submit_emails_the_regional_lead_and_records_it(org, author, lead, other_lead, django_capture_on_commit_callbacks):
    cs = CaseStudyFactory(organisation=org, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_submit(case_study=cs, by=author)
    cs.refresh_from_db()
    assert cs.status == S.SUBMITTED and cs.submitted_at
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert cs.title in mail.outbox[0].subject
    assert "/review/" in mail.outbox[0].body and "/review/" in mail.outbox[0].alternatives[0][0]
    t = Transition.objects.filter(case_study=cs).last()
    assert (t.action, t.by, t.from_status, t.to_status) == ("submitted", author, "draft", "submitted")


def test_an_outsider_cannot_submit(org):
    cs = CaseStudyFactory(organisation=org)
    with pytest.raises(PermissionDenied):
        services.case_study_submit(case_study=cs, by=UserFactory())


def test_a_submitted_case_study_is_read_only_to_its_authors(org, author):
    cs = SubmittedCaseStudyFactory(organisation=org)
    with pytest.raises(services.WorkflowError):
        services.case_study_edit(case_study=cs, by=author, content=content())
    with pytest.raises(services.WorkflowError):
        services.case_study_submit(case_study=cs, by=author)


@pytest.mark.parametrize("who", ["lead", "coordinator"])
def test_lead_or_coordinator_publishes_and_the_author_is_told(org, author, lead, who, django_capture_on_commit_callbacks):
    moderator = lead if who == "lead" else coordinator()
    cs = SubmittedCaseStudyFactory(organisation=org, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=cs, by=moderator, comment="Great work")
    cs.refresh_from_db()
    assert cs.status == S.PUBLISHED and cs.published_at
    assert mail.outbox[-1].to == [author.email] and "Published" in mail.outbox[-1].subject
    assert "Great work" in mail.outbox[-1].body
    assert CaseStudy.objects.published().filter(pk=cs.pk).exists()


def test_a_lead_of_another_region_cannot_moderate(org, other_lead):
    cs = SubmittedCaseStudyFactory(organisation=org)
    with pytest.raises(PermissionDenied):
        services.case_study_publish(case_study=cs, by=other_lead)


def test_nobody_moderates_their_own_organisation(org):
    lead = lead_of("Y63")
    member_of(org, user=lead)
    boss = coordinator()
    member_of(org, user=boss)
    cs = SubmittedCaseStudyFactory(organisation=org)
    for person in (lead, boss):
        with pytest.raises(PermissionDenied):
            services.case_study_publish(case_study=cs, by=person)


def test_a_member_cannot_publish_their_own(org, author):
    cs = SubmittedCaseStudyFactory(organisation=org)
    with pytest.raises(PermissionDenied):
        services.case_study_publish(case_study=cs, by=author)


def test_request_changes_needs_a_comment_and_reopens_for_editing(org, author, lead, django_capture_on_commit_callbacks):
    cs = SubmittedCaseStudyFactory(organisation=org, created_by=author)
    with pytest.raises(ValueError):
        services.case_study_request_changes(case_study=cs, by=lead, comment="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_request_changes(case_study=cs, by=lead, comment="Add figures")
    cs.refresh_from_db()
    assert cs.status == S.CHANGES_REQUESTED
    assert "Add figures" in mail.outbox[-1].body
    services.case_study_edit(case_study=cs, by=author, content=content(title="With figures"))
    services.case_study_submit(case_study=cs, by=author)
    cs.refresh_from_db()
    assert (cs.status, cs.title) == (S.SUBMITTED, "With figures")


def test_reject_needs_a_reason(org, lead):
    cs = SubmittedCaseStudyFactory(organisation=org)
    with pytest.raises(ValueError):
        services.case_study_reject(case_study=cs, by=lead, reason="")
    services.case_study_reject(case_study=cs, by=lead, reason="Not anchor work")
    cs.refresh_from_db()
    assert cs.status == S.REJECTED
    assert Transition.objects.filter(case_study=cs, action="rejected", comment="Not anchor work").exists()


@pytest.mark.parametrize("first", ["publish", "reject", "request_changes"])
def test_a_second_decision_is_refused(org, lead, first):
    cs = SubmittedCaseStudyFactory(organisation=org)
    decide = {
        "publish": lambda: services.case_study_publish(case_study=cs, by=lead),
        "reject": lambda: services.case_study_reject(case_study=cs, by=lead, reason="No"),
        "request_changes": lambda: services.case_study_request_changes(case_study=cs, by=lead, comment="More"),
    }
    decide[first]()
    for again in decide.values():
        with pytest.raises(services.WorkflowError):
            again()


def test_a_draft_cannot_be_decided(org, lead):
    cs = CaseStudyFactory(organisation=org)
    with pytest.raises(services.WorkflowError):
        services.case_study_publish(case_study=cs, by=lead)


def test_editing_a_published_case_study_makes_a_revision_and_keeps_it_live(org, author, lead):
    cs = PublishedCaseStudyFactory(organisation=org, title="Old title")
    revision = services.case_study_edit(case_study=cs, by=author, content=content(title="New title"))
    assert isinstance(revision, Revision)
    cs.refresh_from_db()
    assert cs.title == "Old title" and cs.status == S.PUBLISHED
    services.case_study_submit(case_study=cs, by=author)
    revision.refresh_from_db()
    assert revision.status == Revision.Status.SUBMITTED
    assert CaseStudy.objects.awaiting_moderation_by(lead).count() == 0  # the queue lists revisions separately
    services.case_study_publish(case_study=cs, by=lead)
    cs.refresh_from_db()
    revision.refresh_from_db()
    assert cs.title == "New title" and cs.status == S.PUBLISHED
    assert revision.status == Revision.Status.PUBLISHED
    assert list(cs.tags.names()) == ["employment"]


def test_a_revision_can_be_sent_back_and_the_published_version_is_untouched(org, author, lead):
    cs = PublishedCaseStudyFactory(organisation=org, title="Old title")
    services.case_study_edit(case_study=cs, by=author, content=content(title="New title"))
    services.case_study_submit(case_study=cs, by=author)
    services.case_study_request_changes(case_study=cs, by=lead, comment="Check the figures")
    cs.refresh_from_db()
    assert cs.title == "Old title"
    assert services.open_revision(cs).status == Revision.Status.CHANGES_REQUESTED


def test_archive_by_a_member_hides_it_from_lists(org, author):
    cs = PublishedCaseStudyFactory(organisation=org)
    services.case_study_archive(case_study=cs, by=author)
    cs.refresh_from_db()
    assert cs.status == S.ARCHIVED
    assert not CaseStudy.objects.published().filter(pk=cs.pk).exists()


def test_an_outsider_cannot_archive(org):
    cs = PublishedCaseStudyFactory(organisation=org)
    with pytest.raises(PermissionDenied):
        services.case_study_archive(case_study=cs, by=UserFactory())


def test_only_published_can_be_archived(org, author):
    cs = CaseStudyFactory(organisation=org)
    with pytest.raises(services.WorkflowError):
        services.case_study_archive(case_study=cs, by=author)


def test_the_queue_shows_only_my_region_oldest_first(org, lead, other_lead):
    from datetime import timedelta

    from django.utils import timezone

    old = SubmittedCaseStudyFactory(organisation=org, submitted_at=timezone.now() - timedelta(days=3))
    new = SubmittedCaseStudyFactory(organisation=org)
    elsewhere = SubmittedCaseStudyFactory(organisation=OrganisationFactory(region=region("Y56")))
    assert list(CaseStudy.objects.awaiting_moderation_by(lead)) == [old, new]
    assert list(CaseStudy.objects.awaiting_moderation_by(other_lead)) == [elsewhere]
    assert set(CaseStudy.objects.awaiting_moderation_by(coordinator())) == {old, new, elsewhere}
