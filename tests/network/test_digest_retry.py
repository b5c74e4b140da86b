"""What a coordinator sees of the addresses a digest did not reach, and the retry: the report
gives the server's reason for each, and the retry queues again only temporary failures (4xx
replies, lost connections), never an address the server refused for good (5xx)."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from network import digests, ledger, tasks
from network.models import Delivery, Digest
from tests.anchors.factories import OrganisationFactory, member_of

pytestmark = pytest.mark.django_db
DOWN = {"on": False}


class FlakyServerBackend(LocmemBackend):
    """refused@ is refused (550); busy@ told to come back later (451); down@ finds the server
    gone while DOWN is on; everyone else is accepted."""

    def send_messages(self, messages):
        for message in messages:
            to = message.to[0]
            if to.startswith("refused@"):
                raise smtplib.SMTPRecipientsRefused({to: (550, b"5.1.1 No such user")})
            if to.startswith("busy@") and DOWN["on"]:
                raise smtplib.SMTPResponseException(451, b"4.3.0 Mailbox busy, try again later")
            if to.startswith("down@") and DOWN["on"]:
                raise ConnectionResetError("Connection reset by peer")
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def flaky(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "tests.network.test_digest_retry.FlakyServerBackend"
    DOWN["on"] = True
    yield
    DOWN["on"] = False


def failed_digest() -> Digest:
    """A digest to four people that finished with three of them failed."""
    organisation = OrganisationFactory()
    for email in ["fine@example.org", "refused@example.org", "busy@example.org", "down@example.org"]:
        member_of(organisation, user__email=email)
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News")
    ledger.digest_start(digest_id=digest.pk, queue=lambda ids: None)
    for _attempt in range(ledger.MAX_ATTEMPTS):
        ids = list(digest.deliveries.filter(status=Delivery.Status.QUEUED).values_list("pk", flat=True))
        ledger.send_claimed(ledger.claim(ids, claimer="task"))
    ledger.finish_if_done(digest.pk)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    return digest


def test_the_report_shows_each_failed_address_with_the_servers_reason():
    digest = failed_digest()
    failures = list(digests.delivery_failures(digest=digest))
    assert [(f.recipient.email, f.smtp_code, f.retryable) for f in failures] == [
        ("refused@example.org", 550, False),  # refusals first: the retry will not help them
        ("busy@example.org", 451, True),
        ("down@example.org", None, True),
    ]
    reasons = {f.recipient.email: f.last_error for f in failures}
    assert reasons["refused@example.org"] == "550 5.1.1 No such user"
    assert reasons["busy@example.org"] == (
        f"Gave up after {ledger.MAX_ATTEMPTS} attempts: 451 4.3.0 Mailbox busy, try again later"
    )
    assert "Connection reset by peer" in reasons["down@example.org"]


def test_the_retry_queues_again_only_temporary_failures(django_capture_on_commit_callbacks):
    digest = failed_digest()
    mail.outbox.clear()
    DOWN["on"] = False  # the server is back
    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.retry_failed(digest_id=digest.pk, queue=tasks.queue_chunk) == 2
        digest.refresh_from_db()
        assert digest.status == Digest.Status.SENDING
    assert sorted(m.to[0] for m in mail.outbox) == ["busy@example.org", "down@example.org"]
    statuses = dict(digest.deliveries.values_list("recipient__email", "status"))
    assert statuses == {
        "fine@example.org": "sent", "busy@example.org": "sent", "down@example.org": "sent",
        "refused@example.org": "failed",  # left alone
    }
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_retried_rows_get_a_fresh_set_of_attempts():
    digest = failed_digest()
    queued: list[list[int]] = []
    ledger.retry_failed(digest_id=digest.pk, queue=queued.append)
    busy = digest.deliveries.get(recipient__email="busy@example.org")
    assert busy.status == Delivery.Status.QUEUED and busy.attempts == 0
    # Still busy on the next try: queued again for later, not given up at once.
    assert ledger.send_claimed(ledger.claim([busy.pk], claimer="retry")) == [busy.pk]


def test_nothing_worth_retrying_changes_nothing():
    organisation = OrganisationFactory()
    member_of(organisation, user__email="refused@example.org")
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News")
    ledger.digest_start(digest_id=digest.pk, queue=lambda ids: None)
    ledger.send_claimed(ledger.claim(list(digest.deliveries.values_list("pk", flat=True)), claimer="t"))
    ledger.finish_if_done(digest.pk)
    queued: list[list[int]] = []
    assert ledger.retry_failed(digest_id=digest.pk, queue=queued.append) == 0
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and queued == []
