"""Every digest state change is a service: the coordinator may, a member (or a regional lead) may
not, and the views that call them answer 403 to members and send visitors to sign in."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anchors.services import InvalidState, NotAllowed
from network import digests, services
from network.models import Delivery, Digest, DigestPreference
from tests.anchors.factories import OrganisationFactory, coordinator, lead_of, member_of, region
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def draft(**kwargs) -> Digest:
    defaults = {"subject": "News", "introduction": "Hello.", "kind": Digest.Kind.COORDINATOR}
    return Digest.objects.create(**{**defaults, **kwargs})


def member():
    return member_of(OrganisationFactory())


def later() -> timezone.datetime:
    return timezone.now() + timedelta(days=2)


# --- The services, both ways --------------------------------------------------------------------


def test_a_coordinator_creates_and_edits_a_draft_and_a_member_may_not():
    boss, story = coordinator(), PublishedCaseStudyFactory()
    digest = services.digest_create(
        subject="March", introduction="Hi.", audience=Digest.Audience.EVERYONE, case_studies=[story], by=boss
    )
    assert (digest.status, digest.created_by, list(digest.case_studies.all())) == (Digest.Status.DRAFT, boss, [story])
    services.digest_edit(
        digest=digest, subject="April", introduction="Hello.", audience=Digest.Audience.EVERYONE, by=boss
    )
    digest.refresh_from_db()
    assert (digest.subject, digest.case_studies.count()) == ("April", 0)
    for outsider in (member(), lead_of()):
        with pytest.raises(NotAllowed):
            services.digest_create(subject="x", introduction="x", audience=Digest.Audience.EVERYONE, by=outsider)
        with pytest.raises(NotAllowed):
            services.digest_edit(
                digest=digest, subject="x", introduction="x", audience=Digest.Audience.EVERYONE, by=outsider
            )
    digest.refresh_from_db()
    assert Digest.objects.count() == 1 and digest.subject == "April"


def test_a_digest_being_sent_cannot_be_edited_scheduled_or_cancelled():
    boss = coordinator()
    digest = draft(status=Digest.Status.SENDING)
    with pytest.raises(InvalidState, match="already started sending"):
        services.digest_edit(digest=digest, subject="x", introduction="x", audience="everyone", by=boss)
    with pytest.raises(InvalidState, match="already started sending, so it cannot be scheduled"):
        services.digest_schedule(digest=digest, send_at=later(), by=boss)
    with pytest.raises(InvalidState):
        services.digest_schedule_cancel(digest=digest, by=boss)
    digest.refresh_from_db()
    assert (digest.status, digest.subject, digest.send_at) == (Digest.Status.SENDING, "News", None)


def test_scheduling_is_for_coordinators_and_for_the_future():
    boss, digest = coordinator(), draft()
    with pytest.raises(NotAllowed):
        services.digest_schedule(digest=digest, send_at=later(), by=member())
    with pytest.raises(InvalidState, match="future"):
        services.digest_schedule(digest=digest, send_at=timezone.now() - timedelta(minutes=1), by=boss)
    when = later()
    services.digest_schedule(digest=digest, send_at=when, by=boss)
    digest.refresh_from_db()
    assert (digest.status, digest.send_at) == (Digest.Status.SCHEDULED, when)


def test_the_retry_is_for_coordinators_and_only_once_a_digest_was_sent(django_capture_on_commit_callbacks):
    boss, person = coordinator(), member()
    digest = draft(status=Digest.Status.SENT)
    row = Delivery.objects.create(
        digest=digest, recipient=person, status=Delivery.Status.FAILED, smtp_code=451, last_error="451 busy"
    )
    with pytest.raises(NotAllowed):
        services.digest_retry(digest=digest, by=person)
    row.refresh_from_db()
    assert row.status == Delivery.Status.FAILED
    with pytest.raises(InvalidState, match="not been sent yet"):
        services.digest_retry(digest=draft(), by=boss)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_retry(digest=digest, by=boss) == 1
    row.refresh_from_db()
    assert row.status == Delivery.Status.SENT and [m.to for m in mail.outbox] == [[person.email]]


def test_a_test_copy_goes_to_the_coordinator_only(django_capture_on_commit_callbacks):
    boss, digest = coordinator(), draft()
    with pytest.raises(NotAllowed), django_capture_on_commit_callbacks(execute=True):
        services.digest_send_test(digest=digest, by=member())
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send_test(digest=digest, by=boss)
    assert [m.to for m in mail.outbox] == [[boss.email]] and digest.deliveries.count() == 0


def test_preferences_are_a_signed_in_persons_own():
    person = member()
    pref = services.digest_preferences_update(
        frequency=DigestPreference.Frequency.MONTHLY, coordinator_digests=False, regions=[region()], by=person
    )
    assert (pref.user, pref.frequency, pref.coordinator_digests) == (person, "monthly", False)
    assert list(pref.regions.all()) == [region()]
    with pytest.raises(NotAllowed):
        services.digest_preferences_update(frequency="weekly", coordinator_digests=True, by=AnonymousUser())
    with pytest.raises(InvalidState):
        services.digest_preferences_update(frequency="hourly", coordinator_digests=True, by=person)
    assert DigestPreference.objects.get(user=person).frequency == "monthly"


def test_unsubscribing_needs_a_good_token_for_an_account_that_exists():
    person = member()
    token = digests.unsubscribe_token(user_id=person.pk, kind=Digest.Kind.PERSONAL)
    with pytest.raises(NotAllowed):
        services.digest_unsubscribe(token=token[:-2] + "xx")
    assert not DigestPreference.objects.filter(user=person, frequency="never").exists()
    assert services.digest_unsubscribe(token=token) == Digest.Kind.PERSONAL
    assert services.digest_unsubscribe(token=token) == Digest.Kind.PERSONAL  # twice is harmless
    assert DigestPreference.objects.get(user=person).frequency == DigestPreference.Frequency.NEVER
    person.delete()
    with pytest.raises(InvalidState, match="no longer exists"):
        services.digest_unsubscribe(token=token)


def test_the_personal_run_is_a_service_and_does_nothing_outside_monday_morning():
    sunday = timezone.make_aware(timezone.datetime(2027, 1, 3, 12, 0))
    assert services.digest_personal_run(now=sunday) == (None, 0)
    assert not Digest.objects.filter(kind=Digest.Kind.PERSONAL).exists()


# --- The views call them, both ways -------------------------------------------------------------


def test_a_coordinator_edits_a_draft_through_the_page():
    boss, digest = coordinator(), draft()
    client = signed_in(boss)
    assert "Change the digest" in client.get(digest.get_absolute_url()).content.decode()
    url = reverse("network:digest_edit", args=[digest.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="News"' in page.content.decode()
    response = client.post(url, {"subject": "Changed", "introduction": "Hello.", "audience": "everyone"})
    assert response.status_code == 302 and response.url == digest.get_absolute_url()
    digest.refresh_from_db()
    assert digest.subject == "Changed"


def test_a_digest_being_sent_is_not_offered_for_editing():
    digest = draft(status=Digest.Status.SENDING)
    client = signed_in(coordinator())
    url = reverse("network:digest_edit", args=[digest.pk])
    response = client.post(url, {"subject": "Changed", "introduction": "x", "audience": "everyone"}, follow=True)
    assert "cannot be changed" in response.content.decode()
    digest.refresh_from_db()
    assert digest.subject == "News"


def test_scheduling_a_digest_that_started_sending_says_so_instead_of_doing_nothing():
    digest = draft()
    client = signed_in(coordinator())
    # The coordinator opened the form, then someone else pressed Send now.
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENDING)
    response = client.post(
        reverse("network:digest_schedule", args=[digest.pk]),
        {"send_at": timezone.localtime(later()).strftime("%d/%m/%Y %H:%M")},
        follow=True,
    )
    page = response.content.decode()
    assert "already started sending, so it cannot be scheduled" in page
    assert "The digest is scheduled" not in page
    digest.refresh_from_db()
    assert (digest.status, digest.send_at) == (Digest.Status.SENDING, None)


def test_the_report_offers_the_retry_only_for_failures_worth_retrying(django_capture_on_commit_callbacks):
    people = [member() for _ in range(2)]
    digest = draft(status=Digest.Status.SENT)
    Delivery.objects.create(
        digest=digest, recipient=people[0], status=Delivery.Status.FAILED, smtp_code=550,
        last_error="550 5.1.1 No such user",
    )
    busy = Delivery.objects.create(
        digest=digest, recipient=people[1], status=Delivery.Status.FAILED, smtp_code=451,
        last_error="Gave up after 5 attempts: 451 4.3.2 Try later",
    )
    client = signed_in(coordinator())
    page = client.get(digest.get_absolute_url()).content.decode()
    assert "550 5.1.1 No such user" in page and "No: refused for good" in page
    assert "451 4.3.2 Try later" in page and "Yes, if you try again" in page
    assert "Try again the 1 email that may still arrive" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("network:digest_retry", args=[digest.pk]), follow=True)
    assert "1 email will be tried again" in response.content.decode()
    busy.refresh_from_db()
    assert busy.status == Delivery.Status.SENT
    assert [m.to for m in mail.outbox] == [[people[1].email]]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("digest_edit", {"subject": "Changed", "introduction": "x", "audience": "everyone"}),
        ("digest_schedule", {"send_at": "01/01/2099 08:00"}),
        ("digest_retry", {}),
        ("digest_test", {}),
    ],
)
def test_members_are_refused_and_visitors_sent_to_sign_in(name, data):
    digest = draft(status=Digest.Status.SENT if name == "digest_retry" else Digest.Status.DRAFT)
    url = reverse(f"network:{name}", args=[digest.pk])
    assert signed_in(member()).post(url, data).status_code == 403
    assert signed_in(lead_of()).post(url, data).status_code == 403
    response = Client().post(url, data)
    assert response.status_code == 302 and "/account/login/" in response.url
    digest.refresh_from_db()
    assert (digest.subject, digest.send_at) == ("News", None)
    assert mail.outbox == []


def test_preferences_page_needs_sign_in_and_saves_through_the_service():
    url = reverse("network:preferences")
    response = Client().post(url, {"frequency": "never"})
    assert response.status_code == 302 and "/account/login/" in response.url
    assert not DigestPreference.objects.exists()
    person = member()
    assert signed_in(person).post(url, {"frequency": "never"}).status_code == 302
    assert DigestPreference.objects.get(user=person).frequency == DigestPreference.Frequency.NEVER
