"""A coordinator's digest to 2,000 people survives its worker being killed twice, and a restarted
worker finishes it within a minute.

Everything is real and in processes of its own: PostgreSQL, Redis, a `celery worker` (the
production command: `-Q celery,sweep`, concurrency 2, prefetch 1), a `celery beat` whose
10-second sweep is the only repair, and an SMTP server. First a pool process is SIGKILLed
mid-chunk (acks_late + reject_on_worker_lost redeliver its task, which finishes the rows it had
claimed); then the whole worker is SIGKILLed, with both its chunks mid-send, and a new one
started. Nobody calls the sweep by hand: the beat's sweep reclaims the dead chunks' rows once
their 30-second lease has run out.

Everyone gets the digest. A message can be doubled only if it was handed to the server after its
chunk last recorded a batch of sends, so at most one batch (SEND_BATCH messages) per chunk killed:
one at the first kill, two (both pool processes) at the second.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from anchors.models import Membership
from network import digests
from network.models import Delivery, Digest
from tests.anchors.factories import OrganisationFactory

from .smtpsink import SinkProcess

pytestmark = [pytest.mark.realprocess]
ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 2000
RECOVERY_BUDGET = 60  # seconds from the restart to the digest being sent


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


def environment(smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),  # pytest-django's test database, committed rows
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": settings.SITE_URL,
    }


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = open(log, "ab")  # noqa: SIM115 (closed in kill_everything)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT, env=env, start_new_session=True, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def pool_children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_everything(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log.close()


def worker(env: dict[str, str], log: Path) -> Process:
    # The command docker-compose.yml runs, plus a name of its own and no chatter between workers.
    return Process(
        ["worker", "-Q", "celery,sweep", "--concurrency=2", "--prefetch-multiplier=1", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"digest-{uuid.uuid4().hex[:6]}@%h"],
        env, log,
    )


def beat(env: dict[str, str], tmp_path: Path) -> Process:
    return Process(
        ["beat", "--loglevel=WARNING", "--schedule", str(tmp_path / "celerybeat-schedule")],
        env, tmp_path / "beat.log",
    )


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def purge(app, *queues: str) -> None:
    """Tasks other runs left in the shared broker would only slow this one down."""
    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)


def test_every_person_gets_the_digest_through_worker_kills(real_services, transactional_db, real_broker, tmp_path):
    purge(real_broker, "celery", "sweep")
    real_broker.conf.task_default_queue = "celery"
    sink = SinkProcess(tmp_path / "received.txt", delay=0.002)
    env = environment(sink.port)
    processes: list[Process] = []
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

        processes.append(beat(env, tmp_path))
        first = worker(env, tmp_path / "worker-1.log")
        processes.append(first)
        assert digests.digest_start(digest_id=digest.pk)

        # Kill 1: a pool process dies mid-chunk; its task is redelivered to the same worker.
        wait_until(lambda: sink.count() >= 300, 60, "the first messages")
        children = first.pool_children()
        assert children, "the worker has no pool processes"
        os.kill(children[0], signal.SIGKILL)
        chunks_killed = 1

        # Kill 2: the whole worker dies with both pool processes mid-chunk; a new one starts.
        wait_until(lambda: sink.count() >= 900, 60, "more messages")
        first.kill_everything()
        chunks_killed += 2
        left = Delivery.objects.filter(digest=digest).exclude(status=Delivery.Status.SENT).count()
        assert left > 0, "the digest finished before the second kill: nothing was tested"
        restarted = time.monotonic()
        processes.append(worker(env, tmp_path / "worker-2.log"))

        # Nothing but the beat's sweep repairs the dead worker's rows.
        wait_until(
            lambda: Digest.objects.get(pk=digest.pk).status == Digest.Status.SENT,
            RECOVERY_BUDGET + 30, "the digest to be finished",
        )
        recovery = time.monotonic() - restarted
    finally:
        for process in processes:
            process.kill_everything()
        sink.stop()

    assert not Delivery.objects.filter(digest=digest).exclude(status=Delivery.Status.SENT).exists()
    received = sink.message_ids()
    counts = Counter(received)
    expected = {digests.message_id(digest_id=digest.pk, user_id=p.pk) for p in people}
    assert set(counts) == expected  # everyone received it
    duplicates = sum(n - 1 for n in counts.values())
    print(
        f"{len(received)} messages accepted, {duplicates} doubled by {chunks_killed} chunks killed; "
        f"{left} left at the second kill, all sent {recovery:.1f} s after the restart"
    )
    assert duplicates <= chunks_killed * digests.SEND_BATCH, counts.most_common(5)
    assert recovery <= RECOVERY_BUDGET, f"finished {recovery:.1f} s after the restart"
