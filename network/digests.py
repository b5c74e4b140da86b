"""Digests: the names views, services and commands use, gathered from the modules that do the work.

- `network.unsubscribe`: unsubscribe tokens and Message-IDs; `network.emails`: rendering (reads only);
- `network.selectors`: who receives a digest and what each person's personal digest carries;
- `network.ledger`: the delivery ledger (start, fan out, claim, send, give up, sweep, finish, retry);
- `network.personal_digests`: the Monday personal digests, in chunks of people.

The ledger never imports the Celery tasks; the functions here hand it `tasks.queue_chunk`
(tasks import the ledger, never this module).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import ledger
from .emails import (  # noqa: F401 (re-exported for views, services and tests)
    LONDON,
    SITE_NAME,
    build_messages,
    coordinator_items,
    coordinator_resources,
    digest_context,
    make_message,
    render_digest,
    test_message,
)
from .ledger import (  # noqa: F401
    CHUNK_SIZE,
    DISPATCH_WAIT,
    LEASE,
    MAX_ATTEMPTS,
    SEND_BATCH,
    claim,
    finish_if_done,
    scheduler_lock,
    send_claimed,
)
from .models import Digest
from .personal_digests import personal_run_start
from .selectors import (  # noqa: F401
    coordinator_audience,
    delivery_failures,
    network_people,
    personal_digest_due,
    personal_run_time,
    suggested_case_studies,
    suggested_resources,
    worth_retrying,
)
from .tasks import personal_digest_chunk, queue_chunk, queue_people
from .unsubscribe import (  # noqa: F401
    message_id,
    read_unsubscribe_token,
    unsubscribe_token,
    unsubscribe_url,
)


def digest_start(*, digest_id: int, now: datetime | None = None) -> bool:
    """Write the ledger and fan out. Returns False when the digest was already started."""
    return ledger.digest_start(digest_id=digest_id, queue=queue_chunk, now=now)


def fan_out(digest_id: int) -> int:
    """Queue one task per chunk of the digest's rows that have none. Returns the number of chunks."""
    return ledger.fan_out(digest_id, queue=queue_chunk)


def dispatch_due(now: datetime | None = None) -> int | None:
    """Start scheduled digests that are due and sweep. Returns how many it started, or None when
    another scheduler held the lock and this call did nothing."""
    return ledger.dispatch_due(queue=queue_chunk, now=now)


def retry_failed(*, digest_id: int) -> int:
    """Queue again the failed rows worth retrying (not permanent 5xx refusals). Returns how many."""
    return ledger.retry_failed(digest_id=digest_id, queue=queue_chunk)


def personal_digests_queue(now: datetime | None = None) -> tuple[Digest | None, int]:
    """Queue this Monday's personal digests. Returns the run (None when none are due) and how
    many this call queued (a second call the same Monday queues only those still missing).

    With tasks in-process the count is of rows written; with workers, of the people handed to
    them (their items are chosen after this returns, and those with nothing new get no row)."""
    now = now or timezone.now()
    run_at = personal_run_time(now)
    if run_at is None:
        return None, 0
    run = Digest.objects.filter(kind=Digest.Kind.PERSONAL, send_at=run_at).first()
    before = run.deliveries.count() if run else 0
    digest, people = personal_run_start(queue_selection=queue_people, now=now)
    if digest is None:
        return None, 0
    if not personal_digest_chunk.app.conf.task_always_eager:
        return digest, people  # handed to the workers, who choose their items and write the rows
    return digest, digest.deliveries.count() - before


def personal_digests_run(now: datetime | None = None) -> Digest | None:
    """This Monday's personal digests: one ledger row per person with something new."""
    return personal_digests_queue(now)[0]
