"""A chunk renders each template once per distinct set of items and fills in each person's name and
unsubscribe link: every message must be exactly what rendering it on its own gives."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from network import emails as digest_mail
from network.models import Delivery, Digest, Event
from tests.anchors.factories import OrganisationFactory, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://network.example.org"


def people():
    organisation = OrganisationFactory()
    return [
        member_of(organisation, user__full_name="Siân O'Brien & <Sons>", user__email="sian@example.org"),
        member_of(organisation, user__full_name="", user__email="no.name+digests@example.org"),
        member_of(organisation, user__full_name="Ade \"Quotes\" Bello", user__email="ade@example.org"),
    ]


def one_by_one(digest, recipient, **items):
    context = digest_mail.digest_context(digest=digest, recipient=recipient, **items)
    return digest_mail.make_message(digest=digest, recipient=recipient, context=context)


def same(built, expected):
    assert built.subject == expected.subject
    assert built.body == expected.body
    assert built.alternatives[0][0] == expected.alternatives[0][0]
    assert built.extra_headers == expected.extra_headers
    assert built.to == expected.to


def test_a_coordinators_digest_is_rendered_once_and_personalised_exactly():
    readers = people()
    digest = Digest.objects.create(
        kind=Digest.Kind.COORDINATOR, subject="News & <views>", introduction="Hello, it's us.",
        status=Digest.Status.SENDING,
    )
    digest.case_studies.add(PublishedCaseStudyFactory(title="Food & farms <local>"))
    rows = [Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING) for p in readers]
    with time_machine.travel(timezone.now(), tick=False):  # the signed token carries the second
        built = dict(digest_mail.build_messages([r.pk for r in rows]))
        for row in rows:
            same(built[row.pk], one_by_one(digest, row.recipient, case_studies=digest_mail.coordinator_items(digest)))
    assert "Dear Siân O&#x27;Brien &amp; &lt;Sons&gt;," in built[rows[0].pk].alternatives[0][0]
    assert "Dear Siân O'Brien & <Sons>," in built[rows[0].pk].body
    assert "Dear no.name+digests@example.org," in built[rows[1].pk].body


def test_personal_digests_with_different_items_each_get_their_own():
    readers = people()
    group = GroupFactory()
    join(group, readers[0])
    thread = thread_in(group, readers[0])
    story, other = PublishedCaseStudyFactory(title="Story one"), PublishedCaseStudyFactory(title="Story two")
    event = Event.objects.create(
        group=group, title="Meet-up", starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, hours=2), location="York",
    )
    digest = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Yours", status=Digest.Status.SENDING)
    chosen = [
        {"case_studies": [story.pk], "threads": [thread.pk], "events": [event.pk]},
        {"case_studies": [other.pk]},
        {"case_studies": [story.pk], "threads": [thread.pk], "events": [event.pk]},
    ]
    rows = [
        Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING, items=items)
        for p, items in zip(readers, chosen, strict=True)
    ]
    items_of = {
        story.pk: digest_mail._case_study_item(story), other.pk: digest_mail._case_study_item(other),
    }
    with time_machine.travel(timezone.now(), tick=False):
        built = dict(digest_mail.build_messages([r.pk for r in rows]))
        for row in rows:
            threads = (
                [{"title": thread.title, "group": group.name,
                  "url": digest_mail.absolute_url(thread.get_absolute_url())}]
                if row.items.get("threads") else []
            )
            events = (
                [{"title": event.title, "group": group.name,
                  "starts_at": timezone.localtime(event.starts_at, digest_mail.LONDON),
                  "url": digest_mail.absolute_url(group.get_absolute_url())}]
                if row.items.get("events") else []
            )
            expected = one_by_one(
                digest, row.recipient, case_studies=[items_of[i] for i in row.items["case_studies"]],
                threads=threads, events=events,
            )
            same(built[row.pk], expected)
    assert "Story two" in built[rows[1].pk].body and "Story one" not in built[rows[1].pk].body
    assert "Meet-up" in built[rows[2].pk].body
