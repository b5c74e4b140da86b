"""A digest can never end with rows that nobody will send.

Each test sets up one way rows could be stranded before (a second run after the first finished,
a digest marked sent with rows still queued, a row given back after a failure with no task left to
take it, a chunk task lost after its rows were written) and shows they are sent and the digest
ends 'sent'. The ledger takes the function that queues a chunk as an argument: tests pass
`queued.append` to see exactly which chunks would be queued, or the real task to send them.
"""

import datetime
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from network import ledger, tasks
from network.models import Delivery, Digest, DigestedItem
from network.personal_digests import personal_chunk_write, personal_run_start
from tests.anchors.factories import OrganisationFactory, member_of, region
from tests.casestudies.factories import PublishedCaseStudyFactory

from .factories import GroupFactory, join, thread_in
from .mailbackends import BUSY_ONCE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://network.example.org"


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


MONDAY_8AM = utc(2027, 3, 29, 7, 0)  # 08:00 in London (summer time)


def sending_digest(**kwargs) -> Digest:
    return Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News", status=Digest.Status.SENDING, **kwargs)


def test_it_sends_what_a_second_send_digests_writes_after_the_first_run_finished(
    django_capture_on_commit_callbacks,
):
    early = member_of(OrganisationFactory())
    elsewhere = OrganisationFactory(region=region("Y56"))
    late, writer = member_of(elsewhere), member_of(elsewhere)
    group = GroupFactory()
    join(group, late)
    join(group, writer)
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        PublishedCaseStudyFactory(title="Hiring locally")  # in the early reader's region only
    with time_machine.travel(MONDAY_8AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
    run = Digest.objects.get(kind=Digest.Kind.PERSONAL)
    assert run.status == Digest.Status.SENT
    assert [m.to[0] for m in mail.outbox] == [early.email]  # nothing new for the others yet
    mail.outbox.clear()
    # Something new appears in the late reader's group; someone runs send_digests again.
    with time_machine.travel(MONDAY_8AM + timedelta(minutes=30), tick=False):
        thread = thread_in(group, writer, title="Who buys local food?")
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_digests")
    # Before, this row was written 'queued' to a digest already 'sent' and never sent.
    assert [m.to[0] for m in mail.outbox] == [late.email]
    assert thread.title in mail.outbox[0].body
    run.refresh_from_db()
    assert run.status == Digest.Status.SENT
    assert set(run.deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_writing_rows_to_a_finished_run_makes_it_sending_in_the_same_step(django_capture_on_commit_callbacks):
    reader = member_of(OrganisationFactory())
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        PublishedCaseStudyFactory()
    run = Digest.objects.create(
        kind=Digest.Kind.PERSONAL, subject="Yours", status=Digest.Status.SENT, send_at=MONDAY_8AM
    )
    queued: list[list[int]] = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        written = personal_chunk_write(digest_id=run.pk, user_ids=[reader.pk], now=MONDAY_8AM, queue=queued.append)
        run.refresh_from_db()
        # Inside the transaction that wrote the row, the run is already 'sending' again...
        assert written == 1 and run.status == Digest.Status.SENDING and run.finished_at is None
        assert queued == []
    # ...and its rows are queued to send once that transaction commits.
    for callback in callbacks:
        callback()
    assert queued == [list(run.deliveries.values_list("pk", flat=True))]


def test_the_sweep_sends_queued_rows_of_a_digest_already_marked_sent():
    people = [member_of(OrganisationFactory()) for _ in range(2)]
    digest = sending_digest()
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENT)  # as an older run left it
    for person in people:
        Delivery.objects.create(digest=digest, recipient=person, status=Delivery.Status.QUEUED)
    queued: list[list[int]] = []
    ledger.dispatch_due(queue=queued.append)
    assert queued == [list(digest.deliveries.values_list("pk", flat=True))]
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING  # the report no longer says 'sent'
    ledger.dispatch_due(queue=tasks.queue_chunk)  # nothing more to queue...
    assert mail.outbox == []
    for chunk in queued:  # ...until the chunk runs
        tasks.send_chunk.delay(chunk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_the_sweep_finishes_a_digest_whose_rows_are_all_done():
    person, other = member_of(OrganisationFactory()), member_of(OrganisationFactory())
    digest = sending_digest()
    Delivery.objects.create(digest=digest, recipient=person, status=Delivery.Status.SENT)
    Delivery.objects.create(digest=digest, recipient=other, status=Delivery.Status.FAILED)
    ledger.dispatch_due(queue=tasks.queue_chunk)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and digest.finished_at


def test_a_row_given_back_after_a_failure_with_no_task_left_is_sent_by_the_sweep(settings):
    settings.EMAIL_BACKEND = "tests.network.mailbackends.PickyBackend"
    BUSY_ONCE.clear()
    person = member_of(OrganisationFactory(), user__email="busy@example.org")
    digest = sending_digest()
    row = Delivery.objects.create(digest=digest, recipient=person, dispatched_at=timezone.now())
    # The chunk claims it, the server says 451, and the task that would retry it is lost.
    assert ledger.send_claimed(ledger.claim([row.pk], claimer="lost-task")) == [row.pk]
    row.refresh_from_db()
    assert row.status == Delivery.Status.QUEUED and row.smtp_code == 451
    # Before, the sweep only took queued rows never claimed; this one stayed queued for ever.
    ledger.dispatch_due(queue=tasks.queue_chunk)
    assert [m.to[0] for m in mail.outbox] == ["busy@example.org"]
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_rows_whose_chunk_task_was_lost_after_they_were_written_are_sent_after_the_lease():
    reader = member_of(OrganisationFactory())
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        PublishedCaseStudyFactory()
    run = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Yours", send_at=MONDAY_8AM)
    with time_machine.travel(MONDAY_8AM, tick=False):
        # The rows are written, but the worker dies before their chunk task is queued.
        personal_chunk_write(digest_id=run.pk, user_ids=[reader.pk], now=MONDAY_8AM, queue=lambda ids: None)
        ledger.dispatch_due(queue=tasks.queue_chunk)
        assert mail.outbox == []  # within the lease the task may still come
    with time_machine.travel(MONDAY_8AM + ledger.DISPATCH_WAIT + timedelta(seconds=1), tick=False):
        ledger.dispatch_due(queue=tasks.queue_chunk)
    assert [m.to[0] for m in mail.outbox] == [reader.email]
    run.refresh_from_db()
    assert run.status == Digest.Status.SENT


def test_a_second_sweep_or_send_digests_queues_no_chunk_for_rows_already_queued():
    people = [member_of(OrganisationFactory()) for _ in range(3)]
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News")
    queued: list[list[int]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger, "CHUNK_SIZE", 2)
        assert ledger.digest_start(digest_id=digest.pk, queue=queued.append)
        # The fan-out digest_start leaves for after commit (this test's transaction never commits).
        ledger.fan_out(digest.pk, queue=queued.append)
        first = list(queued)
        ledger.fan_out(digest.pk, queue=queued.append)
        ledger.dispatch_due(queue=queued.append)
    ids = list(digest.deliveries.values_list("pk", flat=True))
    assert len(ids) == len(people)
    assert first == [ids[:2], ids[2:]]
    assert queued == first  # nothing queued twice


def test_a_second_personal_run_queues_nobody_who_already_has_a_row():
    organisation = OrganisationFactory()
    first, second = member_of(organisation), member_of(organisation)
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        PublishedCaseStudyFactory()
    selections: list[tuple] = []
    with time_machine.travel(MONDAY_8AM, tick=False):
        run, people = personal_run_start(queue_selection=lambda *args: selections.append(args))
        assert people == 2 and selections == [(run.pk, [first.pk, second.pk], MONDAY_8AM.isoformat())]
        personal_chunk_write(digest_id=run.pk, user_ids=[first.pk], now=MONDAY_8AM, queue=lambda ids: None)
        selections.clear()
        _run, people = personal_run_start(queue_selection=lambda *args: selections.append(args))
    assert people == 1 and selections == [(run.pk, [second.pk], MONDAY_8AM.isoformat())]


def test_two_chunks_for_the_same_person_write_one_row(django_capture_on_commit_callbacks):
    reader = member_of(OrganisationFactory())
    with time_machine.travel(utc(2027, 3, 26, 12, 0), tick=False):
        PublishedCaseStudyFactory()
    run = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Yours", send_at=MONDAY_8AM)
    with django_capture_on_commit_callbacks(execute=True):
        assert personal_chunk_write(digest_id=run.pk, user_ids=[reader.pk], now=MONDAY_8AM, queue=tasks.queue_chunk) == 1
        assert personal_chunk_write(digest_id=run.pk, user_ids=[reader.pk], now=MONDAY_8AM, queue=tasks.queue_chunk) == 0
    assert len(mail.outbox) == 1
    assert DigestedItem.objects.filter(user=reader).count() == 1


def test_rows_the_broker_would_not_take_are_queued_by_the_next_sweep_not_a_lease_later():
    people = [member_of(OrganisationFactory()) for _ in range(2)]
    digest = sending_digest()
    for person in people:
        Delivery.objects.create(digest=digest, recipient=person)
    refused: list[list[int]] = []

    def broker_down(ids):
        refused.append(ids)
        return False  # as resilience.broker.safe_delay answers when the broker is unreachable

    assert ledger.fan_out(digest.pk, queue=broker_down) == 1
    assert set(digest.deliveries.values_list("dispatched_at", flat=True)) == {None}
    ledger.dispatch_due(queue=tasks.send_chunk.delay)  # the broker is back
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_rows_waiting_minutes_behind_other_chunks_are_not_queued_again_by_the_short_lease():
    """The 30 s lease is for rows a chunk has claimed; rows whose chunk task is still waiting in
    the broker (a long digest drains for minutes) keep their task until DISPATCH_WAIT."""
    people = [member_of(OrganisationFactory()) for _ in range(2)]
    digest = sending_digest()
    for person in people:
        Delivery.objects.create(
            digest=digest, recipient=person, status=Delivery.Status.QUEUED,
            dispatched_at=timezone.now() - timedelta(minutes=2),
        )
    queued: list[list[int]] = []
    ledger.dispatch_due(queue=queued.append)
    assert ledger.LEASE < timedelta(minutes=2) < ledger.DISPATCH_WAIT
    assert queued == []
    ledger.dispatch_due(queue=queued.append, now=timezone.now() + ledger.DISPATCH_WAIT)
    assert len(queued) == 1
