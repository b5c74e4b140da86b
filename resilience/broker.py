"""Queueing a task after a change has committed, without failing the request.

Once a change has committed, the page must answer as it would have, broker or no broker. Use
`safe_delay` only for work that is recorded in the database and that a sweep queues again
(outbox rows, digest delivery rows, data exports in preparation): when the broker cannot take the
task it logs, returns False, and the sweep picks the work up once the broker is back.
"""

from __future__ import annotations

import logging
import time

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerError, RedisError, OSError)
# Give up quickly: the work is stored, and a page should not wait for the broker.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# After a failure, publish nothing to that broker for this long: a page that queues many chunks
# then waits for one timeout, not one per chunk.
REST_SECONDS = 5.0

_resting_until: dict[str, float] = {}


def safe_delay(task, *args, **kwargs) -> bool:
    """Queue `task(*args, **kwargs)`. Returns False, having logged why, when the broker could not
    take it. In-process (no broker) the task runs at once and its own errors propagate."""
    conf = task.app.conf
    if conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    broker = str(conf.broker_url)
    if time.monotonic() < _resting_until.get(broker, 0.0):
        # The failure that started the rest was logged as a warning; one line per skip is enough here.
        logger.info("Not queueing %s: the broker was unreachable a moment ago.", task.name)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as exc:
        _resting_until[broker] = time.monotonic() + REST_SECONDS
        logger.warning(
            "Could not queue %s (%s: %s); its sweep will queue the work again once the broker "
            "is back.",
            task.name,
            exc.__class__.__name__,
            exc,
        )
        return False
    return True
