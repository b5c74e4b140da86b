"""Celery tasks for digests. Options match the global settings: acks late, requeue when lost.

Each task takes ids and calls the ledger (`network.ledger`) or the personal run
(`network.personal_digests`), handing them `queue_chunk` so they can queue more sending without
importing this module.
"""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from resilience.broker import safe_delay

from . import emails, ledger, personal_digests

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


def queue_chunk(delivery_ids: list[int]) -> bool:
    # With the broker down the rows stay queued and the sweep queues them again (False tells
    # the ledger so, and it leaves them for the next sweep).
    return safe_delay(send_chunk, delivery_ids)


def queue_people(digest_id: int, user_ids: list[int], now: str) -> None:
    personal_digest_chunk.delay(digest_id, user_ids, now)


@shared_task(name="network.send_chunk", bind=True, max_retries=8, **TASK_OPTIONS)
def send_chunk(self, delivery_ids: list[int]) -> int:
    """Send one chunk. A redelivered task (same id) finishes the rows it had claimed."""
    claimer = self.request.id or "eager"
    ids = ledger.claim(delivery_ids, claimer=claimer)
    retry = ledger.send_claimed(ids)
    if ids:
        from .models import Delivery

        digest_id = Delivery.objects.filter(pk=ids[0]).values_list("digest_id", flat=True).first()
        if digest_id:
            ledger.finish_if_done(digest_id)
    if retry and self.request.is_eager:
        # In-process (no broker): try once more straight away rather than sleeping. Rows that
        # still fail stay queued without a task, so the next sweep queues them again.
        retry = ledger.send_claimed(ledger.claim(retry, claimer=claimer))
    if retry and not self.request.is_eager:
        # The retry below comes back for these rows, so the sweep need not queue them again.
        ledger.mark_dispatched(retry)
        # Backoff stays far below the broker's visibility timeout.
        raise self.retry(args=[retry], countdown=min(300, 5 * 2**self.request.retries))
    return len(ids) - len(retry)


@shared_task(name="network.dispatch_due_digests", **TASK_OPTIONS)
def dispatch_due_digests() -> int | None:
    """Start due digests and sweep; returns None when another scheduler was already doing it."""
    return ledger.dispatch_due(queue=queue_chunk)


@shared_task(name="network.personal_digests", **TASK_OPTIONS)
def personal_digests_start() -> int:
    """This Monday's run: queue one `personal_digest_chunk` per chunk of people due."""
    _digest, people = personal_digests.personal_run_start(queue_selection=queue_people)
    return people


@shared_task(name="network.personal_digest_chunk", **TASK_OPTIONS)
def personal_digest_chunk(digest_id: int, user_ids: list[int], now: str) -> int:
    """Choose and write one chunk of people's digests; their rows are queued to send on commit."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    return personal_digests.personal_chunk_write(
        digest_id=digest_id, user_ids=user_ids, now=moment, queue=queue_chunk
    )


@shared_task(name="network.send_test_digest", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_test_digest(digest_id: int, user_id: int) -> None:
    """A coordinator's test copy, sent by a worker like every other email."""
    from accounts.models import User

    from .models import Digest

    digest = Digest.objects.get(pk=digest_id)
    emails.test_message(digest=digest, to=User.objects.get(pk=user_id)).send()
