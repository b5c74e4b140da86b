import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casestudies.models import Attachment, Revision, Transition
from network.models import Delivery, Digest, DigestPreference, GroupMembership
from tests.anchors.factories import MembershipFactory, OrganisationFactory, admin_of, join_request
from tests.casestudies.factories import CaseStudyFactory, PublishedCaseStudyFactory
from tests.factories import UserFactory
from tests.network.factories import GroupFactory, join, thread_in


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Exports and attachments are written to a folder the test throws away."""
    settings.MEDIA_ROOT = tmp_path / "media"


class Person:
    """A member with something of theirs in every app, and the things that point at them."""

    def __init__(self):
        self.user = UserFactory(
            email="philippa.quillfeather@trust.example",
            full_name="Philippa Quillfeather",
            job_title="Head of Social Value",
        )
        user = self.user
        self.organisation = OrganisationFactory(name="Quillford Hospitals NHS Trust", registered_by=user)
        self.colleague = admin_of(self.organisation)
        self.membership = MembershipFactory(user=user, organisation=self.organisation)
        self.join_request = join_request(OrganisationFactory(), user=user, reason="I work with them too.")

        self.case_study = PublishedCaseStudyFactory(
            organisation=self.organisation,
            title="Local buying at Quillford",
            created_by=user,
            contact_name="Philippa Quillfeather",
            contact_email="Philippa.Quillfeather@trust.example",
        )
        self.revision = Revision.objects.create(
            case_study=self.case_study,
            created_by=user,
            content={"title": "Local buying at Quillford, updated", "contact_name": "Philippa Quillfeather",
                     "contact_email": "philippa.quillfeather@trust.example"},
        )
        # A decision she made as a moderator on someone else's case study.
        self.reviewed = CaseStudyFactory(title="Someone else's draft")
        self.decision = Transition.objects.create(
            case_study=self.reviewed, action="changes_requested", from_status="submitted",
            to_status="changes_requested", by=user, at=timezone.now(), comment="Add the figures, please.",
        )
        self.attachment = Attachment.objects.create(
            case_study=self.case_study,
            file=SimpleUploadedFile("report.pdf", b"%PDF-1.4 quillford report"),
            title="Full report",
            original_name="Quillford report.pdf",
            content_type="application/pdf",
            extension="pdf",
            size=25,
            uploaded_by=user,
        )

        self.group = GroupFactory(name="Quillford procurement circle")
        join(self.group, user)
        self.thread = thread_in(self.group, user, title="Who buys locally?")
        self.post = self.thread.posts.get()
        self.closed_group = GroupFactory(name="Invitation-only circle")
        self.group_request = GroupMembership.objects.create(
            group=self.closed_group, user=user, status=GroupMembership.Status.REQUESTED
        )
        DigestPreference.objects.create(user=user, frequency=DigestPreference.Frequency.MONTHLY)
        self.sent_digest = Digest.objects.create(subject="News from the network, October", status=Digest.Status.SENT)
        Delivery.objects.create(digest=self.sent_digest, recipient=user, status=Delivery.Status.SENT)
        self.queued_digest = Digest.objects.create(subject="News from the network, November", status=Digest.Status.SENDING)
        Delivery.objects.create(digest=self.queued_digest, recipient=user)


@pytest.fixture
def person(db) -> Person:
    return Person()



@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what the code queued for after its commit (tasks, email),
    as a real request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
