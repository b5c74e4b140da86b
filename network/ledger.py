"""The delivery ledger: one Delivery row per (digest, recipient), written before anything is sent.

A row moves queued -> sending -> sent (or failed). Sending happens in chunks: a chunk claims its
rows in a short transaction (queued -> sending, skip_locked), sends them over one SMTP connection
and records them as sent in batches of SEND_BATCH, so a worker killed mid-chunk re-sends at most
the batch it had not yet recorded. A redelivered chunk (same task id) finishes the rows it had
claimed. The claim is a short lease (LEASE, 30 s) that the chunk renews while it sends, so rows
left 'sending' by a worker that died are reclaimed by the sweep (every 10 s, on its own `sweep`
queue) within about 40 s: a restarted worker finishes a killed worker's digest within a minute.

Every state step that writes rows also sets the digest to 'sending' in the same transaction and
queues their chunks once it commits, so a digest is never 'sent' while it has rows to send. A
queued row records when a chunk task was queued for it (`dispatched_at`): the sweep queues again
only rows that have no task or whose task has not come for DISPATCH_WAIT (it waits behind other
chunks in the broker, or it was lost), so running anything twice queues nothing twice.

This module never imports the Celery tasks: whoever calls it passes `queue`, the function that
queues one chunk of delivery ids (tasks.py passes `queue_chunk`, which queues `send_chunk`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import smtplib
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.core.cache import cache
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from .emails import build_messages
from .models import Delivery, Digest
from .selectors import coordinator_audience, worth_retrying

CHUNK_SIZE = 100
# How long a chunk's claim on its rows lasts without being renewed. The chunk renews it every
# LEASE / 3 while it sends, so only a chunk whose worker died lets it run out.
LEASE = timedelta(seconds=30)
# How long a queued row waits for the chunk task queued for it before the sweep queues another:
# long enough for a digest's chunks to drain through the broker, short enough to repair a task
# lost between the broker and a worker that died before claiming it.
DISPATCH_WAIT = timedelta(minutes=5)
# Transient failures are retried; a row that still fails after this many tries is marked
# failed (with its last error) so the digest can finish and the report can offer a retry.
MAX_ATTEMPTS = 5
# Sent rows are recorded this many at a time: one UPDATE per batch instead of one per message.
# A worker killed mid-chunk may re-send up to this many messages (those sent but not recorded).
SEND_BATCH = 10
# How long a scheduler lock held in the cache lives if its holder dies without releasing it.
LOCK_TIMEOUT = 600

# Queues one chunk of delivery ids; returns False when the broker would not take it.
QueueChunk = Callable[[list[int]], object]
BUSY = (Delivery.Status.QUEUED, Delivery.Status.SENDING)


# --- Only one scheduler acts -----------------------------------------------------------------------


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.contextmanager
def _advisory_lock(name: str) -> Iterator[bool]:
    """A PostgreSQL session advisory lock: released at exit, or when the holder's connection dies."""
    key = _advisory_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    """An flock on a file beside the SQLite database: every process on the machine sees it, and
    the system releases it when its holder dies."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _cache_lock(name: str) -> Iterator[bool]:
    """An entry added to the shared cache (Redis), which expires should its holder die."""
    cache_key = f"network:lock:{name}"
    token = uuid.uuid4().hex
    held = cache.add(cache_key, token, LOCK_TIMEOUT)
    try:
        yield held
    finally:
        if held and cache.get(cache_key) == token:
            cache.delete(cache_key)


def scheduler_lock(name: str) -> contextlib.AbstractContextManager[bool]:
    """A lock so only one scheduler (a beat, or `send_digests` beside it) acts at a time. Use as
    `with scheduler_lock(name) as held:`; `held` is False when someone else holds it.

    PostgreSQL: an advisory lock. SQLite in a file (`make run`): a file lock beside the database.
    Otherwise (an in-memory test database) the cache, shared by every thread of the process."""
    if connection.vendor == "postgresql":
        return _advisory_lock(name)
    database = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and not connection.creation.is_in_memory_db(database):
        return _file_lock(Path(f"{database}.{name}.lock"))
    return _cache_lock(name)


# --- Starting a digest: draft/scheduled -> sending, exactly once -------------------------------


def digest_start(*, digest_id: int, queue: QueueChunk, now: datetime | None = None) -> bool:
    """Write the ledger and fan out. Returns False when the digest was already started."""
    now = now or timezone.now()
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest_id)
        if digest.status not in (Digest.Status.DRAFT, Digest.Status.SCHEDULED):
            return False
        if digest.status == Digest.Status.SCHEDULED and digest.send_at and digest.send_at > now:
            return False
        recipient_ids = list(coordinator_audience(digest).values_list("pk", flat=True))
        Delivery.objects.bulk_create(
            [Delivery(digest=digest, recipient_id=pk) for pk in recipient_ids],
            ignore_conflicts=True,
            batch_size=1000,
        )
        digest.status = Digest.Status.SENDING
        digest.started_at = now
        digest.save(update_fields=["status", "started_at"])
        transaction.on_commit(lambda: fan_out(digest_id, queue=queue))
    return True


def _needs_task(now: datetime) -> Q:
    """Queued rows no live chunk task will claim: never queued, queued a lease ago and still not
    claimed (the task was lost), or claimed since and given back (a retry, a reclaimed lease)."""
    return (
        Q(dispatched_at__isnull=True)
        | Q(dispatched_at__lt=now - DISPATCH_WAIT)
        | Q(claimed_at__gte=F("dispatched_at"))
    )


def chunked(ids: list[int], size: int | None = None) -> list[list[int]]:
    size = size or CHUNK_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def fan_out(digest_id: int, *, queue: QueueChunk, now: datetime | None = None) -> int:
    """Queue one task per chunk of this digest's rows that need one. Returns the number of chunks.

    Rows are marked with the time before their task is queued, under row locks, so two callers at
    the same moment never queue the same row twice."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(digest_id=digest_id, status=Delivery.Status.QUEUED)
            .filter(_needs_task(now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(dispatched_at=now)
    chunks = chunked(ids)
    queue_chunks(chunks, queue=queue)
    if not chunks:
        finish_if_done(digest_id)
    return len(chunks)


def queue_chunks(chunks: list[list[int]], *, queue: QueueChunk) -> None:
    """Queue each chunk. A chunk the broker would not take (`queue` returned False) loses its
    mark, so the next sweep queues it again rather than waiting a lease for a task that never was."""
    refused = [pk for chunk in chunks if queue(chunk) is False for pk in chunk]
    if refused:
        Delivery.objects.filter(pk__in=refused, status=Delivery.Status.QUEUED).update(dispatched_at=None)


def mark_dispatched(delivery_ids: list[int], *, now: datetime | None = None) -> None:
    """Record that a task (e.g. a Celery retry) will come back for these rows."""
    Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.QUEUED).update(
        dispatched_at=now or timezone.now()
    )


def reopen(digest_id: int) -> None:
    """A digest with rows still to send is 'sending', whatever it said before."""
    Digest.objects.filter(pk=digest_id).exclude(status=Digest.Status.SENDING).update(
        status=Digest.Status.SENDING, finished_at=None
    )


# --- The sweep -----------------------------------------------------------------------------------


def sweep(*, queue: QueueChunk, now: datetime | None = None) -> None:
    """Repair whatever a lost task or a crash left: reclaim expired leases, queue rows that have no
    live task (whatever their digest's status), and finish digests whose rows are all done."""
    now = now or timezone.now()
    Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - LEASE).update(
        status=Delivery.Status.QUEUED, claimed_by=""
    )
    stranded = set(
        Delivery.objects.filter(status=Delivery.Status.QUEUED)
        .filter(_needs_task(now))
        .values_list("digest_id", flat=True)
        .distinct()
    )
    # A digest marked sent while rows were still to send (as an older version could leave it).
    Digest.objects.filter(
        status=Digest.Status.SENT, pk__in=Delivery.objects.filter(status__in=BUSY).values("digest_id")
    ).update(status=Digest.Status.SENDING, finished_at=None)
    for digest_id in sorted(stranded):
        fan_out(digest_id, queue=queue, now=now)
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING).values_list("pk", flat=True):
        finish_if_done(digest_id)


def dispatch_due(*, queue: QueueChunk, now: datetime | None = None) -> int | None:
    """Start scheduled digests that are due, then sweep. Returns how many digests it started, or
    None when another scheduler (a second beat, `send_digests`) is doing this at the same moment."""
    now = now or timezone.now()
    with scheduler_lock("network.digests.dispatch") as held:
        if not held:
            return None
        started = 0
        due = Digest.objects.filter(status=Digest.Status.SCHEDULED, send_at__lte=now)
        for digest_id in due.values_list("pk", flat=True):
            started += digest_start(digest_id=digest_id, queue=queue, now=now)
        sweep(queue=queue, now=now)
        return started


def finish_if_done(digest_id: int) -> bool:
    """sending -> sent once no row is queued or sending. Returns True when it finished it.

    The digest row is locked first, so rows written by a concurrent run (which locks it too)
    are either seen here or written after the digest has been reopened."""
    with transaction.atomic():
        digest = Digest.objects.select_for_update().filter(pk=digest_id, status=Digest.Status.SENDING).first()
        if digest is None:
            return False
        if Delivery.objects.filter(digest_id=digest_id, status__in=BUSY).exists():
            return False
        Digest.objects.filter(pk=digest_id).update(status=Digest.Status.SENT, finished_at=timezone.now())
    return True


# --- Sending one chunk ------------------------------------------------------------------------


def claim(delivery_ids: list[int], *, claimer: str, now: datetime | None = None) -> list[int]:
    """Move this chunk's queued rows (and rows this claimer or a lost one held) to sending."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=delivery_ids)
            .filter(
                Q(status=Delivery.Status.QUEUED)
                | Q(status=Delivery.Status.SENDING, claimed_by=claimer)
                | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - LEASE)
            )
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.SENDING, claimed_at=now, claimed_by=claimer, attempts=F("attempts") + 1
        )
    return ids


def smtp_code(exc: Exception) -> int | None:
    """The server's reply code: the mildest of the refused recipients' (so a refusal counts as
    permanent only when every code is 5xx), or the response's; None when the connection failed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def smtp_reason(exc: Exception) -> str:
    """What the server said, for the delivery report: "550 5.1.1 No such user"."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, message = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, message = exc.smtp_code, exc.smtp_error
    else:
        return (str(exc) or type(exc).__name__)[:500]
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}"[:500]


def is_permanent(code: int | None) -> bool:
    """5xx replies refuse for good; 4xx ones and lost connections are worth another try."""
    return code is not None and code >= 500


def _give_back(delivery_id: int, exc: Exception, code: int | None) -> None:
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.QUEUED, last_error=smtp_reason(exc), smtp_code=code, claimed_by="",
        dispatched_at=None,
    )


def renew(delivery_ids: list[int], *, now: datetime | None = None) -> None:
    """Extend the lease on the rows of this chunk still being sent."""
    Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.SENDING).update(
        claimed_at=now or timezone.now()
    )


def send_claimed(delivery_ids: list[int]) -> list[int]:
    """Send the claimed rows over one connection. Returns the ids to try again later.

    The lease is renewed whenever a third of it has passed since the claim or the last renewal,
    so a slow server never lets it run out while the chunk is alive (one UPDATE, at most every
    10 s: a chunk at full speed takes well under that and never renews)."""
    renewed = time.monotonic()
    messages = build_messages(delivery_ids)
    retry: list[int] = []
    if not messages:
        return retry
    smtp = get_connection()
    try:
        smtp.open()
    except (OSError, smtplib.SMTPException) as exc:
        Delivery.objects.filter(pk__in=[d for d, _m in messages]).update(
            status=Delivery.Status.QUEUED, last_error=smtp_reason(exc), smtp_code=smtp_code(exc), claimed_by="",
            dispatched_at=None,
        )
        return _give_up_on_exhausted([d for d, _m in messages])
    sent: list[int] = []

    def record_sent() -> None:
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="", smtp_code=None
            )
            sent.clear()

    renew_every = LEASE.total_seconds() / 3
    held = [d for d, _m in messages]
    try:
        for delivery_id, message in messages:
            if time.monotonic() - renewed > renew_every:
                renew(held)  # sent rows are no longer 'sending' and keep their state
                renewed = time.monotonic()
            message.connection = smtp
            try:
                message.send()
            except (OSError, smtplib.SMTPException) as exc:
                code = smtp_code(exc)
                if is_permanent(code):
                    Delivery.objects.filter(pk=delivery_id).update(
                        status=Delivery.Status.FAILED, last_error=smtp_reason(exc), smtp_code=code
                    )
                else:
                    _give_back(delivery_id, exc, code)
                    retry.append(delivery_id)
                    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                        smtp.close()
                        with contextlib.suppress(OSError, smtplib.SMTPException):
                            smtp.open()
                continue
            sent.append(delivery_id)
            if len(sent) >= SEND_BATCH:
                record_sent()
    finally:
        record_sent()
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.close()
    return _give_up_on_exhausted(retry)


def _give_up_on_exhausted(retry: list[int]) -> list[int]:
    """Mark rows that have used up their attempts as failed; return the rest to retry."""
    if not retry:
        return retry
    exhausted = Delivery.objects.filter(pk__in=retry, attempts__gte=MAX_ATTEMPTS)
    given_up = set(exhausted.values_list("pk", flat=True))
    exhausted.update(
        status=Delivery.Status.FAILED,
        last_error=Concat(Value(f"Gave up after {MAX_ATTEMPTS} attempts: "), F("last_error")),
    )
    return [pk for pk in retry if pk not in given_up]


# --- Retrying what failed -------------------------------------------------------------------------


def retry_failed(*, digest_id: int, queue: QueueChunk) -> int:
    """Queue again this digest's failed rows that are worth retrying (temporary failures, not
    permanent refusals), with a fresh set of attempts. Returns how many."""
    with transaction.atomic():
        Digest.objects.select_for_update().get(pk=digest_id)
        n = (
            Delivery.objects.filter(digest_id=digest_id)
            .filter(worth_retrying())  # temporary failures only: never a 5xx refusal
            .update(status=Delivery.Status.QUEUED, attempts=0, claimed_by="", dispatched_at=None)
        )
        if n:
            reopen(digest_id)
            transaction.on_commit(lambda: fan_out(digest_id, queue=queue))
    return n
