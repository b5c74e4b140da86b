import pytest
from django.core import mail
from django.utils import translation

from tests.anchors.factories import OrganisationFactory, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory

CONTACT = "pat.contact@trust.example"


@pytest.fixture
def case_study(db):
    """A published case study whose contact takes questions."""
    return PublishedCaseStudyFactory(
        title="Buying bread from the bakery next door", slug="bread",
        contact_name="Pat Contact", contact_email=CONTACT,
    )


@pytest.fixture
def asker(db):
    """A member of another organisation."""
    return member_of(OrganisationFactory(name="Riverside Health Board"), user__full_name="Alex Asker",
                     user__job_title="Procurement lead")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run what the code queued on commit (the outbox's send) and give the emails sent."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result

    mail.outbox.clear()
    return run


@pytest.fixture(autouse=True)
def _english():
    """A request to a /cy/ page leaves Welsh active in the thread: start and end in English."""
    translation.activate("en-gb")
    yield
    translation.activate("en-gb")
