"""A coordinator confirms before a digest goes to everyone, can call off a scheduled one, and
send_digests says what it actually did."""

import datetime
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from network import services
from network.models import Digest, GroupMembership
from tests.anchors.factories import OrganisationFactory, coordinator, lead_of, member_of
from tests.factories import PASSWORD

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def coordinator_digest(**kwargs) -> Digest:
    defaults = {"subject": "News from the network", "introduction": "Hello everyone."}
    return Digest.objects.create(kind=Digest.Kind.COORDINATOR, **{**defaults, **kwargs})


def members(n):
    organisation = OrganisationFactory()
    return [member_of(organisation) for _ in range(n)]


def group_lead():
    person = member_of(OrganisationFactory())
    join(GroupFactory(), person, GroupMembership.Role.LEAD)
    return person


def send_url(digest) -> str:
    return reverse("network:digest_send", args=[digest.pk])


def cancel_url(digest) -> str:
    return reverse("network:digest_cancel", args=[digest.pk])


# --- Send now asks first -------------------------------------------------------------------------


def test_send_now_asks_for_confirmation_with_the_subject_and_the_number_of_people(
    django_capture_on_commit_callbacks,
):
    members(3)
    digest = coordinator_digest(subject="Spring news")
    client = signed_in(coordinator())
    detail = client.get(digest.get_absolute_url()).content.decode()
    assert f'href="{send_url(digest)}"' in detail  # a link to the question, not a sending form
    page = client.get(send_url(digest))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Send this digest now?" in html and "Spring news" in html
    assert "Send to 3 people now" in html
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT and not digest.deliveries.exists()
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(digest), follow=True)
    assert "The digest is being sent." in response.content.decode()
    assert len(mail.outbox) == 3
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_sending_now_brings_a_scheduled_digest_forward(django_capture_on_commit_callbacks):
    members(1)
    digest = coordinator_digest(status=Digest.Status.SCHEDULED, send_at=timezone.now() + timedelta(days=2))
    client = signed_in(coordinator())
    assert "Sending now replaces this time." in client.get(send_url(digest)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send_url(digest))
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and len(mail.outbox) == 1


def test_the_confirmation_page_of_a_sent_digest_goes_back_to_its_report(django_capture_on_commit_callbacks):
    digest = coordinator_digest()
    boss = coordinator()
    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send_now(digest=digest, by=boss)
    response = signed_in(boss).get(send_url(digest))
    assert response.status_code == 302 and response["Location"] == digest.get_absolute_url()


@pytest.mark.parametrize("role", ["group lead", "regional lead", "member"])
def test_only_coordinators_see_the_confirmation_or_send(role):
    person = {"group lead": group_lead, "regional lead": lead_of, "member": lambda: members(1)[0]}[role]()
    digest = coordinator_digest()
    client = signed_in(person)
    assert client.get(send_url(digest)).status_code == 403
    assert client.post(send_url(digest)).status_code == 403
    with pytest.raises(services.NotAllowed):
        services.digest_send_now(digest=digest, by=person)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT


def test_visitors_are_sent_to_sign_in():
    digest = coordinator_digest()
    for response in (Client().get(send_url(digest)), Client().post(cancel_url(digest))):
        assert response.status_code == 302 and "/account/login/" in response["Location"]


# --- Cancelling a scheduled digest ---------------------------------------------------------------


def test_a_coordinator_cancels_a_scheduled_digest_and_it_is_never_sent(django_capture_on_commit_callbacks):
    members(2)
    send_at = timezone.now() + timedelta(hours=1)
    digest = coordinator_digest(subject="Summer news", status=Digest.Status.SCHEDULED, send_at=send_at)
    boss = coordinator()
    client = signed_in(boss)
    assert "Cancel the scheduled send" in client.get(digest.get_absolute_url()).content.decode()
    response = client.post(cancel_url(digest), follow=True)
    html = response.content.decode()
    assert "The scheduled send is cancelled" in html
    assert "Schedule cancelled" in html and escape(boss.full_name) in html
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT and digest.send_at is None
    assert digest.schedule_cancelled_by == boss and digest.schedule_cancelled_at is not None
    assert "schedule cancelled" in client.get(reverse("network:digests")).content.decode()
    with time_machine.travel(send_at + timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", stdout=StringIO())
    assert mail.outbox == []
    assert not digest.deliveries.exists()


def test_only_a_scheduled_digest_can_be_cancelled(django_capture_on_commit_callbacks):
    boss = coordinator()
    draft = coordinator_digest()
    with pytest.raises(services.InvalidState, match="not scheduled"):
        services.digest_schedule_cancel(digest=draft, by=boss)
    sent = coordinator_digest()
    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send_now(digest=sent, by=boss)
    response = signed_in(boss).post(cancel_url(sent), follow=True)
    assert "already started sending" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Digest.Status.SENT


@pytest.mark.parametrize("role", ["group lead", "regional lead", "member"])
def test_only_coordinators_cancel(role):
    person = {"group lead": group_lead, "regional lead": lead_of, "member": lambda: members(1)[0]}[role]()
    digest = coordinator_digest(status=Digest.Status.SCHEDULED, send_at=timezone.now() + timedelta(hours=1))
    assert signed_in(person).post(cancel_url(digest)).status_code == 403
    with pytest.raises(services.NotAllowed):
        services.digest_schedule_cancel(digest=digest, by=person)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SCHEDULED


# --- send_digests says what it did ---------------------------------------------------------------


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def run_command(moment, callbacks) -> str:
    out = StringIO()
    with time_machine.travel(moment, tick=False), callbacks(execute=True):
        call_command("send_digests", stdout=out)
    return out.getvalue()


def test_send_digests_reports_the_real_number_queued_and_then_none(django_capture_on_commit_callbacks):
    reader, writer, idle = members(3)
    group = GroupFactory()
    join(group, reader)
    join(group, writer)
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        thread_in(group, writer, title="Social value in tenders")
    monday = utc(2027, 3, 29, 8, 0)  # 08:00 UK time, still GMT
    first = run_command(monday, django_capture_on_commit_callbacks)
    assert "No coordinators' digests are due." in first
    assert "Personal digests: 1 queued." in first  # the reader only: the writer wrote it
    second = run_command(monday + timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert "queued." not in second.replace("queued earlier", "")
    assert "Personal digests: none queued this time. 1 was queued earlier today" in second


def test_send_digests_says_when_nobody_has_anything_new(django_capture_on_commit_callbacks):
    members(2)
    output = run_command(utc(2027, 3, 29, 8, 0), django_capture_on_commit_callbacks)
    assert "Personal digests: none queued, as nobody has anything new" in output
    assert "queued." not in output.replace("none queued", "")


def test_send_digests_says_when_personal_digests_are_not_due(django_capture_on_commit_callbacks):
    members(2)
    output = run_command(utc(2027, 3, 30, 8, 0), django_capture_on_commit_callbacks)  # a Tuesday
    assert "No personal digests are due now" in output


def test_send_digests_counts_the_coordinators_digests_it_started(django_capture_on_commit_callbacks):
    members(1)
    coordinator_digest(status=Digest.Status.SCHEDULED, send_at=utc(2027, 3, 30, 7, 0))
    output = run_command(utc(2027, 3, 30, 7, 30), django_capture_on_commit_callbacks)
    assert "Started 1 coordinators' digest." in output
