import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network import digests
from network.models import Delivery, Digest, DigestedItem, DigestPreference, Event
from tests.anchors.factories import OrganisationFactory, coordinator, member_of, region
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import PASSWORD, UserFactory

from .factories import GroupFactory, join, thread_in
from .mailbackends import BUSY_ONCE

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://network.example.org"


def signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def coordinator_digest(**kwargs) -> Digest:
    defaults = {"subject": "News from the network", "introduction": "Hello everyone."}
    return Digest.objects.create(kind=Digest.Kind.COORDINATOR, **{**defaults, **kwargs})


def members(n, organisation=None, **user_kwargs):
    organisation = organisation or OrganisationFactory()
    return [member_of(organisation, **user_kwargs) for _ in range(n)]


# --- Sending a coordinator's digest --------------------------------------------------------------


def test_sending_reaches_every_member_once_with_unsubscribe_headers(django_capture_on_commit_callbacks):
    people = members(3)
    story = PublishedCaseStudyFactory(title="Local food in hospitals")
    digest = coordinator_digest()
    digest.case_studies.add(story)
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.digest_start(digest_id=digest.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    message = mail.outbox[0]
    recipient = next(p for p in people if p.email == message.to[0])
    assert message.extra_headers["Message-ID"] == f"<digest-{digest.pk}-{recipient.pk}@network.example.org>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://network.example.org/digests/unsubscribe/")
    html = message.alternatives[0][0]
    assert "Local food in hospitals" in html and "Local food in hospitals" in message.body
    assert f"https://network.example.org{story.get_absolute_url()}" in html
    assert "https://network.example.org/account/digests/" in message.body
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert set(digest.deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_second_click_on_send_sends_nothing_more(django_capture_on_commit_callbacks):
    members(2)
    digest = coordinator_digest()
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.digest_start(digest_id=digest.pk)
        assert not digests.digest_start(digest_id=digest.pk)
    client = signed_in(coordinator())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("network:digest_send", args=[digest.pk]), follow=True)
    assert "already been sent" in response.content.decode()
    assert len(mail.outbox) == 2
    assert digest.deliveries.count() == 2


def test_people_who_opted_out_or_are_outside_the_audience_get_nothing(django_capture_on_commit_callbacks):
    north = members(2)
    london = members(1, OrganisationFactory(region=region("Y56")))
    DigestPreference.objects.create(user=north[1], coordinator_digests=False)
    UserFactory()  # not a member of any organisation
    digest = coordinator_digest(audience=Digest.Audience.REGIONS)
    digest.regions.add(region("Y63"))
    with django_capture_on_commit_callbacks(execute=True):
        digests.digest_start(digest_id=digest.pk)
    assert [m.to[0] for m in mail.outbox] == [north[0].email]
    assert london[0].email not in [m.to[0] for m in mail.outbox]


def test_group_audience_reaches_only_the_groups_members(django_capture_on_commit_callbacks):
    inside, outside = members(2)
    group = GroupFactory()
    join(group, inside)
    digest = coordinator_digest(audience=Digest.Audience.GROUPS)
    digest.groups.add(group)
    with django_capture_on_commit_callbacks(execute=True):
        digests.digest_start(digest_id=digest.pk)
    assert [m.to[0] for m in mail.outbox] == [inside.email]


def test_refused_recipients_fail_with_a_reason_and_busy_ones_are_retried(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.network.mailbackends.PickyBackend"
    BUSY_ONCE.clear()
    organisation = OrganisationFactory()
    fine = member_of(organisation, user__email="fine@example.org")
    refused = member_of(organisation, user__email="refused@example.org")
    busy = member_of(organisation, user__email="busy@example.org")
    digest = coordinator_digest()
    with django_capture_on_commit_callbacks(execute=True):
        digests.digest_start(digest_id=digest.pk)
    rows = {d.recipient_id: d for d in digest.deliveries.all()}
    assert rows[fine.pk].status == Delivery.Status.SENT
    assert rows[busy.pk].status == Delivery.Status.SENT and rows[busy.pk].attempts == 2
    assert rows[refused.pk].status == Delivery.Status.FAILED
    assert "No such user" in rows[refused.pk].last_error
    assert sorted(m.to[0] for m in mail.outbox) == ["busy@example.org", "fine@example.org"]

    client = signed_in(coordinator())
    page = client.get(digest.get_absolute_url()).content.decode()
    assert "refused@example.org" in page and "550 5.1.1 No such user" in page
    assert "No: refused for good" in page
    assert "Try again the" not in page  # nothing worth retrying, so no button
    # Even if the server would now take it, a 550 refusal is not tried again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("network:digest_retry", args=[digest.pk]), follow=True)
    assert "There is nothing worth trying again" in response.content.decode()
    assert digest.deliveries.get(recipient=refused).status == Delivery.Status.FAILED
    assert sorted(m.to[0] for m in mail.outbox) == ["busy@example.org", "fine@example.org"]


def test_a_redelivered_chunk_finishes_its_rows_without_resending_the_sent_ones():
    people = members(4)
    digest = coordinator_digest(status=Digest.Status.SENDING)
    rows = [Delivery.objects.create(digest=digest, recipient=p) for p in people]
    ids = [r.pk for r in rows]
    assert digests.claim(ids, claimer="task-1") == ids
    # The worker sent two, then was killed.
    Delivery.objects.filter(pk__in=ids[:2]).update(status=Delivery.Status.SENT)
    # Another task cannot take rows that are still within their lease...
    assert digests.claim(ids, claimer="task-2") == []
    # ...but the redelivered task (same id) takes back exactly the unsent ones.
    again = digests.claim(ids, claimer="task-1")
    assert again == ids[2:]
    digests.send_claimed(again)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people[2:])


def test_a_recipient_still_busy_after_the_last_attempt_fails_and_the_digest_finishes(settings):
    settings.EMAIL_BACKEND = "tests.network.mailbackends.PickyBackend"
    person = member_of(OrganisationFactory(), user__email="alwaysbusy@example.org")
    digest = coordinator_digest(status=Digest.Status.SENDING)
    row = Delivery.objects.create(digest=digest, recipient=person)
    for attempt in range(1, digests.MAX_ATTEMPTS + 1):
        retry = digests.send_claimed(digests.claim([row.pk], claimer=f"task-{attempt}"))
        row.refresh_from_db()
        if attempt < digests.MAX_ATTEMPTS:
            assert retry == [row.pk] and row.status == Delivery.Status.QUEUED
    assert retry == [] and row.status == Delivery.Status.FAILED
    assert row.last_error.startswith(f"Gave up after {digests.MAX_ATTEMPTS} attempts")
    digests.finish_if_done(digest.pk)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_rows_left_sending_by_a_lost_task_are_sent_after_the_lease(django_capture_on_commit_callbacks):
    people = members(2)
    digest = coordinator_digest(status=Digest.Status.SENDING)
    for person in people:
        Delivery.objects.create(
            digest=digest, recipient=person, status=Delivery.Status.SENDING,
            claimed_by="lost", claimed_at=timezone.now() - digests.LEASE - timedelta(seconds=1),
        )
    digests.dispatch_due()
    assert len(mail.outbox) == 2
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_rows_whose_chunk_task_never_started_are_queued_again_after_the_lease():
    people = members(2)
    digest = coordinator_digest(status=Digest.Status.SENDING)
    for person in people:
        Delivery.objects.create(
            digest=digest, recipient=person, status=Delivery.Status.QUEUED,
            dispatched_at=timezone.now() - digests.DISPATCH_WAIT - timedelta(seconds=1),
        )
    digests.dispatch_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    # Rows whose chunk task was queued moments ago are left to it.
    fresh = coordinator_digest(status=Digest.Status.SENDING)
    Delivery.objects.create(
        digest=fresh, recipient=people[0], status=Delivery.Status.QUEUED, dispatched_at=timezone.now()
    )
    digests.dispatch_due()
    assert len(mail.outbox) == 2


def test_the_builder_runs_the_same_queries_for_one_or_fifty_recipients(django_assert_num_queries):
    people = members(50)
    digest = coordinator_digest(status=Digest.Status.SENDING)
    digest.case_studies.add(PublishedCaseStudyFactory(), PublishedCaseStudyFactory())
    rows = [Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING) for p in people]

    def count(ids):
        with CaptureQueriesContext(connection) as ctx:
            assert len(digests.build_messages(ids)) == len(ids)
        return len(ctx)

    # The rows with their recipients, the digest's case studies, its resources.
    assert count([rows[0].pk]) == count([r.pk for r in rows]) == 3


def test_personal_builder_runs_the_same_queries_for_one_or_fifty_recipients():
    people = members(50)
    group = GroupFactory()
    join(group, people[0])
    thread = thread_in(group, people[0])
    story = PublishedCaseStudyFactory()
    digest = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Yours", status=Digest.Status.SENDING)
    event = Event.objects.create(
        group=group, title="Meet-up", starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, hours=2), location="York",
    )
    items = {"case_studies": [story.pk], "threads": [thread.pk], "events": [event.pk]}
    rows = [
        Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING, items=items)
        for p in people
    ]

    def count(ids):
        with CaptureQueriesContext(connection) as ctx:
            messages = digests.build_messages(ids)
        assert story.title in messages[0][1].body and thread.title in messages[0][1].body
        return len(ctx)

    assert count([rows[0].pk]) == count([r.pk for r in rows]) == 4


# --- Scheduling ----------------------------------------------------------------------------------


def test_a_scheduled_digest_goes_out_when_due_and_only_once(django_capture_on_commit_callbacks):
    members(2)
    send_at = timezone.now() + timedelta(hours=1)
    coordinator_digest(status=Digest.Status.SCHEDULED, send_at=send_at)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
    assert mail.outbox == []
    with time_machine.travel(send_at + timedelta(seconds=30)), django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
        call_command("send_digests")
    assert len(mail.outbox) == 2


def test_scheduling_in_the_past_is_refused_and_keeps_what_was_typed():
    digest = coordinator_digest()
    client = signed_in(coordinator())
    response = client.post(reverse("network:digest_schedule", args=[digest.pk]), {"send_at": "01/01/2020 08:00"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in page and "must be in the future" in page and "01/01/2020 08:00" in page
    future = (timezone.localtime(timezone.now(), LONDON) + timedelta(days=2)).strftime("%d/%m/%Y 08:00")
    client.post(reverse("network:digest_schedule", args=[digest.pk]), {"send_at": future})
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SCHEDULED
    assert timezone.localtime(digest.send_at, LONDON).hour == 8


# --- Composing, previewing, permissions ----------------------------------------------------------


def test_a_coordinator_composes_previews_and_tests_a_digest(django_capture_on_commit_callbacks):
    old = PublishedCaseStudyFactory(title="Old story", published_at=timezone.now() - timedelta(days=30))
    earlier = coordinator_digest(status=Digest.Status.SENT)
    Digest.objects.filter(pk=earlier.pk).update(started_at=timezone.now() - timedelta(days=7))
    new = PublishedCaseStudyFactory(title="New story")
    boss = coordinator()
    client = signed_in(boss)
    form = client.get(reverse("network:digest_new")).content.decode()
    assert f'value="{new.pk}" checked>' in form
    assert "Old story" in form and f'value="{old.pk}">' in form
    response = client.post(
        reverse("network:digest_new"),
        {"subject": "March news", "introduction": "Spring is here.", "audience": "everyone", "case_studies": [new.pk]},
    )
    digest = Digest.objects.get(subject="March news")
    assert response.url == digest.get_absolute_url()
    assert client.get(reverse("network:digest_preview", args=[digest.pk])).status_code == 200
    # The unsubscribe token carries the second it was signed: render both within the same one.
    with time_machine.travel(timezone.now(), tick=False):
        preview = client.get(reverse("network:digest_preview_email", args=[digest.pk]))
        _s, _t, html = digests.render_digest(
            digests.digest_context(digest=digest, recipient=boss, case_studies=digests.coordinator_items(digest))
        )
    assert preview.content.decode() == html
    assert "New story" in html and "Old story" not in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("network:digest_test", args=[digest.pk]))
    assert [m.to for m in mail.outbox] == [[boss.email]]
    assert mail.outbox[0].subject == "[Test] March news"
    assert digest.deliveries.count() == 0


def test_bad_compose_input_shows_errors_and_keeps_the_text():
    client = signed_in(coordinator())
    response = client.post(
        reverse("network:digest_new"), {"subject": "Half done", "introduction": "", "audience": "regions"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in page and "Choose at least one region" in page and "Half done" in page


@pytest.mark.parametrize("name", ["digests", "digest_new"])
def test_only_coordinators_may_compose(name):
    outsider = signed_in(members(1)[0])
    assert outsider.get(reverse(f"network:{name}")).status_code == 403
    assert signed_in(coordinator()).get(reverse(f"network:{name}")).status_code == 200


@pytest.mark.parametrize("name", ["digest_send", "digest_test", "digest_retry"])
def test_only_coordinators_may_send(name, django_capture_on_commit_callbacks):
    members(1)
    digest = coordinator_digest()
    response = signed_in(members(1)[0]).post(reverse(f"network:{name}", args=[digest.pk]))
    assert response.status_code == 403
    for preview in ["network:digest_preview", "network:digest_preview_email"]:
        assert signed_in(members(1)[0]).get(reverse(preview, args=[digest.pk])).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(coordinator()).post(reverse(f"network:{name}", args=[digest.pk]))
    assert response.status_code == 302
    assert Digest.objects.get(pk=digest.pk).status == (
        Digest.Status.SENT if name == "digest_send" else Digest.Status.DRAFT
    )


# --- Unsubscribing and preferences ---------------------------------------------------------------


def test_one_click_unsubscribe_needs_neither_sign_in_nor_csrf():
    person = members(1)[0]
    url = digests.unsubscribe_url(user_id=person.pk, kind="coordinator").removeprefix("https://network.example.org")
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert DigestPreference.objects.get(user=person).coordinator_digests is False
    assert DigestPreference.objects.get(user=person).frequency == DigestPreference.Frequency.WEEKLY


def test_personal_unsubscribe_stops_only_the_personal_digest():
    person = members(1)[0]
    url = digests.unsubscribe_url(user_id=person.pk, kind="personal")
    Client().post(url.removeprefix("https://network.example.org"))
    pref = DigestPreference.objects.get(user=person)
    assert pref.frequency == DigestPreference.Frequency.NEVER and pref.coordinator_digests


def test_a_tampered_unsubscribe_link_is_refused():
    person, other = members(2)
    token = digests.unsubscribe_token(user_id=person.pk, kind="coordinator")
    forged = digests.unsubscribe_token(user_id=other.pk, kind="coordinator")
    tampered = forged.split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in [token[:-2] + "xx", tampered, "nonsense"]:
        response = Client().post(reverse("network:unsubscribe", args=[bad]))
        assert response.status_code == 400
        assert "This unsubscribe link does not work" in response.content.decode()
    assert not DigestPreference.objects.exists()


def test_a_token_for_one_kind_does_not_work_with_the_other_salt():
    token = digests.unsubscribe_token(user_id=7, kind="personal")
    assert digests.read_unsubscribe_token(token) == (7, "personal")
    from django.core import signing

    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="network.digest.unsubscribe.coordinator")


def test_people_set_their_preferences_from_the_account_page():
    person = members(1)[0]
    client = signed_in(person)
    account = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("network:preferences") in account and "Weekly" in account
    client.post(
        reverse("network:preferences"),
        {"frequency": "monthly", "regions": [region("Y56").pk], "coordinator_digests": ""},
    )
    pref = DigestPreference.objects.get(user=person)
    assert pref.frequency == "monthly" and not pref.coordinator_digests
    assert list(pref.regions.all()) == [region("Y56")]


# --- Personal digests ----------------------------------------------------------------------------


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        # Summer time began on Sunday 28 March 2027: 08:00 in London is 07:00 UTC.
        (utc(2027, 3, 29, 6, 59), False),
        (utc(2027, 3, 29, 7, 0), True),
        # Winter time began on Sunday 25 October 2026: 08:00 in London is 08:00 UTC.
        (utc(2026, 10, 26, 7, 0), False),
        (utc(2026, 10, 26, 8, 0), True),
        # The Monday before each change.
        (utc(2027, 3, 22, 8, 0), True),
        (utc(2026, 10, 19, 7, 0), True),
        (utc(2027, 3, 30, 7, 0), False),  # a Tuesday
    ],
)
def test_weekly_digests_are_due_at_eight_london_time_either_side_of_the_clock_change(moment, due):
    with time_machine.travel(moment, tick=False):
        assert digests.personal_digest_due(timezone.now(), "weekly") is due


def test_monthly_digests_are_due_on_the_first_monday_only():
    assert digests.personal_digest_due(utc(2026, 11, 2, 8, 0), "monthly")
    assert not digests.personal_digest_due(utc(2026, 11, 9, 8, 0), "monthly")
    assert not digests.personal_digest_due(utc(2026, 11, 2, 8, 0), "never")


def test_the_beat_schedule_runs_personal_digests_at_eight_on_mondays(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["network-personal-digests"]["schedule"]
    assert schedule.hour == {8} and schedule.minute == {0} and schedule.day_of_week == {1}
    assert settings.CELERY_TIMEZONE == "Europe/London"


def run_personal(moment, callbacks):
    with time_machine.travel(moment, tick=False), callbacks(execute=True):
        digests.personal_digests_run()


def test_nobody_gets_an_empty_personal_digest(django_capture_on_commit_callbacks):
    members(3)
    run_personal(utc(2027, 3, 29, 7, 0), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_each_item_appears_in_one_personal_digest_only(django_capture_on_commit_callbacks):
    reader, writer = members(2)
    group = GroupFactory()
    join(group, reader)
    join(group, writer)
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        thread = thread_in(group, writer, title="Social value in tenders")
        event = Event.objects.create(
            group=group, title="Spring meet-up", starts_at=utc(2027, 4, 20, 9), ends_at=utc(2027, 4, 20, 11),
            location="Leeds",
        )
        story = PublishedCaseStudyFactory(title="Hiring locally in Leeds")  # the reader's region
    run_personal(utc(2027, 3, 29, 7, 0), django_capture_on_commit_callbacks)
    run_personal(utc(2027, 3, 29, 7, 5), django_capture_on_commit_callbacks)  # the beat ran twice
    mine = [m for m in mail.outbox if m.to == [reader.email]]
    assert len(mine) == 1
    for text in [thread.title, event.title, story.title]:
        assert text in mine[0].body
    assert thread.title not in [m.body for m in mail.outbox if m.to == [writer.email]][0]
    assert DigestedItem.objects.filter(user=reader).count() == 3
    # A week later, the same event is still upcoming but has already been in a digest.
    mail.outbox.clear()
    run_personal(utc(2027, 4, 5, 7, 0), django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_personal_digests_follow_chosen_pillars_and_regions(django_capture_on_commit_callbacks):
    from tests.anchors.factories import pillar

    reader = members(1)[0]
    pref = DigestPreference.objects.create(user=reader, frequency="weekly")
    pref.pillars.add(pillar("purchasing"))
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        far = OrganisationFactory(region=region("Y56"))
        PublishedCaseStudyFactory(title="About buying", organisation=far, pillars=[pillar("purchasing")])
        PublishedCaseStudyFactory(title="Elsewhere entirely", organisation=far, pillars=[pillar("workforce")])
    run_personal(utc(2027, 3, 29, 7, 0), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert "About buying" in mail.outbox[0].body and "Elsewhere entirely" not in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["List-Unsubscribe"]


def test_monthly_readers_wait_for_the_first_monday(django_capture_on_commit_callbacks):
    reader = members(1)[0]
    DigestPreference.objects.create(user=reader, frequency="monthly")
    with time_machine.travel(utc(2026, 11, 4, 12, 0), tick=False):
        PublishedCaseStudyFactory(title="Hiring locally")
    run_personal(utc(2026, 11, 9, 8, 0), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    run_personal(utc(2026, 12, 7, 8, 0), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
