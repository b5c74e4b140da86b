"""Celery tasks for digests. Options match the global settings: acks late, requeue when lost."""

from celery import shared_task

from . import digests

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="network.send_chunk", bind=True, max_retries=8, **TASK_OPTIONS)
def send_chunk(self, delivery_ids: list[int]) -> int:
    """Send one chunk. A redelivered task (same id) finishes the rows it had claimed."""
    claimer = self.request.id or "eager"
    ids = digests.claim(delivery_ids, claimer=claimer)
    retry = digests.send_claimed(ids)
    if ids:
        from .models import Delivery

        digest_id = Delivery.objects.filter(pk=ids[0]).values_list("digest_id", flat=True).first()
        if digest_id:
            digests.finish_if_done(digest_id)
    if retry and self.request.is_eager:
        # In-process (no broker): try once more straight away rather than sleeping.
        retry = digests.send_claimed(digests.claim(retry, claimer=claimer))
    if retry and not self.request.is_eager:
        # Backoff stays far below the broker's visibility timeout.
        raise self.retry(args=[retry], countdown=min(300, 5 * 2**self.request.retries))
    return len(ids) - len(retry)


@shared_task(name="network.dispatch_due_digests", **TASK_OPTIONS)
def dispatch_due_digests() -> int:
    return digests.dispatch_due()


@shared_task(name="network.personal_digests", **TASK_OPTIONS)
def personal_digests() -> None:
    digests.personal_digests_run()


@shared_task(name="network.send_test_digest", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_test_digest(digest_id: int, user_id: int) -> None:
    """A coordinator's test copy, sent by a worker like every other email."""
    from accounts.models import User

    from .models import Digest

    digest = Digest.objects.get(pk=digest_id)
    digests.test_message(digest=digest, to=User.objects.get(pk=user_id)).send()
