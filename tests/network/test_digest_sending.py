"""Sends are recorded in batches: one UPDATE per SEND_BATCH messages, not one per message, and at
any instant at most one batch has been handed to the server without being recorded (what a
worker killed at that instant could send twice)."""

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
