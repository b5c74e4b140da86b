"""A coordinator's digest to 200 people survives workers being killed part-way.

Real PostgreSQL, real Redis, real `celery worker` processes and a real SMTP server. The worker's
pool process is SIGKILLed mid-chunk (acks_late + reject_on_worker_lost redeliver its task, which
finishes the rows it had claimed), then the whole worker is SIGKILLed and a new one started (the
beat's sweep reclaims rows whose lease ran out). Every person gets the digest; a message can be
doubled only if it was handed to the server after its chunk last recorded a batch of sends, so
at most one batch (SEND_BATCH messages) per chunk in flight at a kill.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from anchors.models import Membership
from network import digests
from network.models import Delivery, Digest
from tests.anchors.factories import OrganisationFactory

from . import smtpsink

pytestmark = [pytest.mark.realprocess]
ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 200


@pytest.fixture
def real_services():
    is_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    broker = settings.CELERY_BROKER_URL
    if not (is_postgres and broker.startswith("redis")):
        reason = "needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://..."
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-process digest test: {reason}")
        pytest.skip(reason)


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, queue: str, smtp_port: int):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),  # pytest-django's test database, committed rows
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "SITE_URL": settings.SITE_URL,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2",
             "--prefetch-multiplier=1", "-Q", queue, "--loglevel=WARNING", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def pool_children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_everything(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_every_person_gets_the_digest_through_worker_kills(real_services, transactional_db, real_broker):
    queue = f"net-realprocess-{uuid.uuid4().hex[:8]}"
    real_broker.conf.task_default_queue = queue
    controller, smtp = smtpsink.start(delay=0.04)
    workers: list[Worker] = []
    try:
        organisation = OrganisationFactory()
        User = get_user_model()
        people = User.objects.bulk_create(
            [User(email=f"person{i}@example.org", full_name=f"Person {i}") for i in range(RECIPIENTS)]
        )
        Membership.objects.bulk_create(
            [Membership(user=p, organisation=organisation, status=Membership.Status.ACTIVE) for p in people]
        )
        digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="Resilience", introduction="Hi")

        workers.append(Worker(queue, controller.port))
        assert digests.digest_start(digest_id=digest.pk)

        # Kill 1: a pool process dies mid-chunk; its task is redelivered to the same worker.
        wait_until(lambda: smtp.count >= 40, 30, "the first messages")
        children = workers[0].pool_children()
        assert children, "the worker has no pool processes"
        for pid in children[:1]:
            os.kill(pid, signal.SIGKILL)
        kills_in_flight = 1

        # Kill 2: the whole worker (both pool processes busy) dies; a new one takes over.
        wait_until(lambda: smtp.count >= 110, 30, "more messages")
        workers[0].kill_everything()
        kills_in_flight += 2
        workers.append(Worker(queue, controller.port))
        # The beat's minutely sweep, once the lost worker's lease has run out.
        digests.dispatch_due(now=timezone.now() + digests.LEASE + timedelta(seconds=1))

        def all_sent():
            return not Delivery.objects.filter(digest=digest).exclude(status=Delivery.Status.SENT).exists()

        wait_until(all_sent, 40, "every delivery to be marked sent")
        wait_until(
            lambda: Digest.objects.get(pk=digest.pk).status == Digest.Status.SENT, 10, "the digest to be finished"
        )
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.kill_everything()
        controller.stop()

    counts = Counter(smtp.message_ids)
    expected = {digests.message_id(digest_id=digest.pk, user_id=p.pk) for p in people}
    assert set(counts) == expected  # everyone received it
    duplicates = sum(n - 1 for n in counts.values())
    print(f"{len(smtp.message_ids)} messages accepted, {duplicates} doubled by {kills_in_flight} chunks in flight")
    assert duplicates <= kills_in_flight * digests.SEND_BATCH, counts.most_common(5)
