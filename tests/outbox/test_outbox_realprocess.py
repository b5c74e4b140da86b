"""Transactional email through real Redis, a real `celery worker` and a real SMTP server.

The worker is SIGKILLed while it sends a batch. Its rows stay claimed until their lease runs
out; the sweep then queues them again and a new worker sends them. Everyone gets their email,
and only the message in flight at the kill can arrive twice.
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
from django.db import transaction
from django.utils import timezone

from outbox import sending
from outbox.models import OutgoingEmail
from outbox.services import outbox_add
from outbox.tasks import enqueue

from . import smtpserver

pytestmark = [pytest.mark.realprocess]
ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 40


@pytest.fixture
def real_services():
    is_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if not (is_postgres and settings.CELERY_BROKER_URL.startswith("redis")):
        reason = "needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://..."
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-process outbox test: {reason}")
        pytest.skip(reason)


@pytest.fixture
def own_queue(real_broker):
    """Tasks go to a queue only this test's workers read."""
    queue = f"outbox-realprocess-{uuid.uuid4().hex[:8]}"
    previous = real_broker.conf.task_default_queue
    real_broker.conf.task_default_queue = queue
    yield queue
    real_broker.conf.task_default_queue = previous


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str, smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),  # pytest-django's test database: committed rows
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": settings.SITE_URL,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1",
         "--prefetch-multiplier=1", "-Q", queue, "--loglevel=WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def kill(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_repeats_at_most_the_message_in_flight(
    real_services, transactional_db, own_queue
):
    controller, smtp = smtpserver.start(delay=0.1)
    workers = [start_worker(own_queue, controller.port)]
    try:
        addresses = [f"person{i}@trust.example" for i in range(RECIPIENTS)]
        with transaction.atomic():
            outbox_add(to=addresses, subject="Welcome", text="Hello")  # published on commit

        wait_until(lambda: len(smtp.messages) >= 10, 60, "the first messages")
        kill(workers[0])
        assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENDING).exists()

        workers.append(start_worker(own_queue, controller.port))
        # The beat's minutely sweep, once the dead worker's lease has run out.
        ids = sending.sweep(now=timezone.now() + sending.LEASE + timedelta(seconds=1))
        assert ids
        enqueue(ids)

        def all_sent():
            return not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).exists()

        wait_until(all_sent, 60, "every row to be marked sent")
    finally:
        for worker in workers:
            kill(worker)
        controller.stop()

    counts = Counter(smtp.to())
    assert set(counts) == set(addresses)
    doubled = sum(n - 1 for n in counts.values())
    print(f"{len(smtp.messages)} messages accepted for {RECIPIENTS} people, {doubled} doubled by the kill")
    assert doubled <= 1, counts.most_common(3)
    message_ids = Counter(m["Message-ID"] for m in smtp.messages)
    assert len(message_ids) == RECIPIENTS  # a repeat carries the same Message-ID
