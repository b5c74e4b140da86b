"""Sends are recorded in batches: one UPDATE per SEND_BATCH messages, not one per message, and at
any instant at most one batch has been handed to the server without being recorded (what a
worker killed at that instant could send twice)."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network import ledger
from network.models import Delivery, Digest
from tests.anchors.factories import OrganisationFactory, member_of

pytestmark = pytest.mark.django_db
UNRECORDED: list[int] = []


class WatchingBackend(LocmemBackend):
    """Before each message, notes how many already accepted are not yet recorded as sent."""

    def send_messages(self, messages):
        recorded = Delivery.objects.filter(status=Delivery.Status.SENT).count()
        UNRECORDED.append(len(mail.outbox) - recorded)
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def claimed_rows(n: int) -> list[int]:
    organisation = OrganisationFactory()
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News", status=Digest.Status.SENDING)
    rows = Delivery.objects.bulk_create(
        [Delivery(digest=digest, recipient=member_of(organisation)) for _ in range(n)]
    )
    return ledger.claim([r.pk for r in rows], claimer="task-1")


def test_sent_rows_are_recorded_one_update_per_batch():
    ids = claimed_rows(25)
    with CaptureQueriesContext(connection) as ctx:
        assert ledger.send_claimed(ids) == []
    marks = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "network_delivery"')]
    # 25 messages in batches of 10: 10, 10 and the last 5.
    assert len(marks) == 3, "\n".join(marks)
    assert len(mail.outbox) == 25
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_at_most_one_batch_is_ever_sent_without_being_recorded(settings):
    settings.EMAIL_BACKEND = "tests.network.test_digest_sending.WatchingBackend"
    UNRECORDED.clear()
    ids = claimed_rows(25)
    ledger.send_claimed(ids)
    assert len(UNRECORDED) == 25
    assert max(UNRECORDED) == ledger.SEND_BATCH - 1 < ledger.SEND_BATCH
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 25


LEASE_AGES: list[float] = []


class SlowBackend(LocmemBackend):
    """A slow server: before each message, notes how old the oldest claim still held is."""

    def send_messages(self, messages):
        from django.db.models import Min
        from django.utils import timezone

        oldest = Delivery.objects.filter(status=Delivery.Status.SENDING).aggregate(m=Min("claimed_at"))["m"]
        LEASE_AGES.append((timezone.now() - oldest).total_seconds())
        time.sleep(0.05)
        return super().send_messages(messages)


def test_a_chunk_renews_its_lease_while_a_slow_server_takes_its_time(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.network.test_digest_sending.SlowBackend"
    monkeypatch.setattr(ledger, "LEASE", timedelta(seconds=0.3))
    LEASE_AGES.clear()
    ids = claimed_rows(20)  # about 1 s of sending: three leases
    assert ledger.send_claimed(ids) == []
    assert len(LEASE_AGES) == 20
    # Renewed every third of the lease, so no row still being sent is ever near losing it.
    assert max(LEASE_AGES) < 0.3, LEASE_AGES


def test_rows_of_a_worker_that_died_half_a_minute_ago_are_sent_by_the_next_sweep():
    """The whole worker was SIGKILLed: its chunk's rows stay 'sending', with no task to finish
    them. They are sent by the first sweep after 31 s, not after minutes."""
    from django.utils import timezone

    from network import tasks

    ids = claimed_rows(3)
    digest_id = Delivery.objects.get(pk=ids[0]).digest_id
    moment = timezone.now()
    ledger.sweep(queue=tasks.queue_chunk, now=moment + timedelta(seconds=10))
    assert mail.outbox == []  # still within the dead chunk's lease: it might be alive
    ledger.sweep(queue=tasks.queue_chunk, now=moment + timedelta(seconds=31))
    assert len(mail.outbox) == 3
    assert Digest.objects.get(pk=digest_id).status == Digest.Status.SENT
