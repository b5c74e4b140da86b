"""Celery tasks for the outbox. Each takes ids (or nothing) and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from . import sending

logger = logging.getLogger(__name__)

# Publishing gives up quickly when the broker is down: the rows are stored, and the sweep
# queues them again once it is back, so a page need not wait for it.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@shared_task(name="outbox.send", acks_late=True, reject_on_worker_lost=True)
def send_outbox(email_ids: list[int]) -> int:
    """Send the rows among `email_ids` that are still waiting; rows sent or held elsewhere are
    left alone, so a repeated or redelivered task sends nothing twice."""
    return sending.send_claimed(sending.claim(email_ids))


@shared_task(name="outbox.sweep", acks_late=True)
def sweep_outbox() -> int:
    """Every minute: queue again what should have gone by now. Returns the number of rows."""
    ids = sending.sweep()
    enqueue(ids)
    return len(ids)


def enqueue(email_ids: list[int]) -> None:
    """Hand the rows to a worker in batches. With the broker down they stay queued for the
    sweep: the change that wrote them has committed, so this must not fail the request."""
    for start in range(0, len(email_ids), sending.BATCH_SIZE):
        batch = email_ids[start : start + sending.BATCH_SIZE]
        try:
            send_outbox.apply_async(args=[batch], retry_policy=PUBLISH_RETRY_POLICY)
        except (BrokerError, RedisError, OSError) as exc:
            logger.warning(
                "Could not queue %d outgoing emails (%s); the outbox sweep will send them "
                "once the broker is back.",
                len(email_ids) - start,
                exc,
            )
            return
