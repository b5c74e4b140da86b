"""The Monday personal digests, in chunks of people (as Zulip's digest does).

`personal_run_start` (the beat task, or `send_digests`) finds the run for this Monday, lists the
people whose digest is due and not yet written, and queues one task per chunk of their ids.
Each chunk task calls `personal_chunk_write`: it chooses the items for all its people in a fixed
number of queries, then in one transaction writes their delivery rows and what they have now
been sent, sets the run to 'sending' and, once that commits, queues the rows to be sent. A run
written again after it had finished is simply sending again: no row is ever left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .emails import PERSONAL_SUBJECT
from .ledger import QueueChunk, chunked, finish_if_done, queue_chunks, scheduler_lock
from .models import Delivery, Digest, DigestedItem, DigestPreference
from .selectors import personal_candidate_ids, personal_items_for, personal_run_time

PEOPLE_PER_CHUNK = 200
SUBJECT = PERSONAL_SUBJECT
ITEM_KINDS = (
    ("case_studies", DigestedItem.Kind.CASE_STUDY),
    ("resources", DigestedItem.Kind.RESOURCE),
    ("threads", DigestedItem.Kind.THREAD),
    ("events", DigestedItem.Kind.EVENT),
)

# Queues one chunk of people: (digest id, user ids, the run's time as ISO 8601).
QueueSelection = Callable[[int, list[int], str], object]


def personal_run_start(
    *, queue_selection: QueueSelection, now: datetime | None = None
) -> tuple[Digest | None, int]:
    """Queue this Monday's personal digests in chunks of people. Returns the run (None when
    none are due now) and how many people's chunks this call queued: only people with no row in
    the run yet, so a second call queues nobody twice. When another scheduler is starting the run
    at this moment, this call returns the run without queueing anyone."""
    now = now or timezone.now()
    run_at = personal_run_time(now)
    if run_at is None:
        return None, 0
    with scheduler_lock("network.digests.personal") as held:
        if not held:
            return Digest.objects.filter(kind=Digest.Kind.PERSONAL, send_at=run_at).first(), 0
        digest, _created = Digest.objects.get_or_create(
            kind=Digest.Kind.PERSONAL,
            send_at=run_at,
            defaults={"subject": SUBJECT, "status": Digest.Status.SENDING, "started_at": now},
        )
        people = personal_candidate_ids(digest=digest, now=now)
        for chunk in chunked(people, PEOPLE_PER_CHUNK):
            queue_selection(digest.pk, chunk, now.isoformat())
        if not people:
            finish_if_done(digest.pk)
    return digest, len(people)


def personal_chunk_write(*, digest_id: int, user_ids: list[int], now: datetime, queue: QueueChunk) -> int:
    """Choose and write the digests of these people in one state step. Returns how many rows it
    wrote (people with nothing new, or already written by an earlier call, get none)."""
    chosen = personal_items_for(user_ids, now=now)
    if not chosen:
        return 0
    with transaction.atomic():
        # Writers of the same run take turns, so nobody gets two rows and the run cannot be
        # finished between the rows being written and it being marked 'sending' again.
        Digest.objects.select_for_update().get(pk=digest_id)
        written_before = set(
            Delivery.objects.filter(digest_id=digest_id, recipient_id__in=chosen).values_list(
                "recipient_id", flat=True
            )
        )
        people = [user_id for user_id in chosen if user_id not in written_before]
        if not people:
            return 0
        rows = Delivery.objects.bulk_create(
            [
                Delivery(digest_id=digest_id, recipient_id=user_id, items=chosen[user_id],
                         dispatched_at=timezone.now())
                for user_id in people
            ]
        )
        DigestedItem.objects.bulk_create(
            [
                DigestedItem(user_id=row.recipient_id, kind=kind, object_id=object_id, delivery_id=row.pk)
                for row in rows
                for key, kind in ITEM_KINDS
                for object_id in row.items.get(key, [])
            ],
            ignore_conflicts=True,
        )
        DigestPreference.objects.bulk_create(
            [DigestPreference(user_id=user_id) for user_id in people], ignore_conflicts=True
        )
        DigestPreference.objects.filter(user_id__in=people).update(last_personal_digest_at=now)
        Digest.objects.filter(pk=digest_id).update(status=Digest.Status.SENDING, finished_at=None)
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: queue_chunks(chunked(ids), queue=queue))
    return len(rows)
