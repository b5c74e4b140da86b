"""Only one scheduler acts: a second beat, or `send_digests` run beside it, does nothing while the
first is starting or sweeping digests.

The other scheduler is a thread with its own database connection, so on PostgreSQL the advisory
lock is really taken by another session; on SQLite (in memory) the cache lock is shared by threads.
"""

import datetime
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from network import ledger, tasks
from network.models import Digest
from network.personal_digests import personal_run_start
from tests.anchors.factories import OrganisationFactory, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class OtherScheduler:
    """Runs `act(queue)` in a thread whose queue function waits until released, so it is caught
    in the middle of acting while the test makes a second attempt."""

    def __init__(self, act):
        self.acting, self.release = threading.Event(), threading.Event()
        self.queued: list = []
        self.result = None
        self.thread = threading.Thread(target=self._run, args=[act])

    def _queue(self, *args):
        self.queued.append(args)
        self.acting.set()
        assert self.release.wait(20)

    def _run(self, act):
        try:
            self.result = act(self._queue)
        finally:
            self.acting.set()
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.acting.wait(20)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(20)


def due_digest(people: int = 2) -> Digest:
    organisation = OrganisationFactory()
    for _ in range(people):
        member_of(organisation)
    return Digest.objects.create(
        kind=Digest.Kind.COORDINATOR, subject="News", status=Digest.Status.SCHEDULED,
        send_at=timezone.now() - timedelta(minutes=1),
    )


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_one_starts_the_digest_and_the_other_does_nothing():
    digest = due_digest()
    second: list = []
    with OtherScheduler(lambda queue: ledger.dispatch_due(queue=queue)) as first:
        assert ledger.dispatch_due(queue=second.append) is None
    assert second == []  # the second attempt queued nothing
    assert first.result == 1 and len(first.queued) == 1  # the first started it and queued its chunk
    assert Digest.objects.get(pk=digest.pk).status == Digest.Status.SENDING


@pytest.mark.django_db(transaction=True)
def test_send_digests_beside_a_sweeping_beat_leaves_it_to_the_beat(capsys):
    due_digest()
    with OtherScheduler(lambda queue: ledger.dispatch_due(queue=queue)):
        call_command("send_digests")
    assert "Another scheduler is starting due digests at this moment" in capsys.readouterr().out
    assert mail.outbox == []  # only the first scheduler's (held) chunk exists; nobody sent twice


@pytest.mark.django_db(transaction=True)
def test_two_personal_runs_at_once_queue_each_person_once():
    monday = datetime.datetime(2027, 3, 29, 7, 0, tzinfo=datetime.UTC)
    reader = member_of(OrganisationFactory())
    with time_machine.travel(monday - timedelta(days=3), tick=False):
        PublishedCaseStudyFactory()
    second: list = []
    with time_machine.travel(monday, tick=False):
        with OtherScheduler(lambda queue: personal_run_start(queue_selection=queue)) as first:
            run, people = personal_run_start(queue_selection=lambda *args: second.append(args))
        assert people == 0 and second == []
        assert first.result[1] == 1 and first.queued == [(first.result[0].pk, [reader.pk], monday.isoformat())]


@pytest.mark.django_db
def test_once_the_first_scheduler_is_done_the_next_one_acts():
    digest = due_digest(people=1)
    with ledger.scheduler_lock("network.digests.dispatch") as held:
        assert held
    assert ledger.dispatch_due(queue=tasks.queue_chunk) == 1
    assert len(mail.outbox) == 1
    assert Digest.objects.get(pk=digest.pk).status == Digest.Status.SENT


def test_the_file_lock_used_with_sqlite_is_held_by_one_holder_at_a_time(tmp_path):
    path = tmp_path / "db.sqlite3.network.digests.dispatch.lock"
    with ledger._file_lock(path) as first, ledger._file_lock(path) as second:
        assert first and not second
    with ledger._file_lock(path) as again:
        assert again


def test_the_sweeps_have_a_queue_of_their_own_that_every_worker_consumes():
    """Thousands of queued chunks never hold up the sweep that repairs a dead worker's rows."""
    from pathlib import Path

    import yaml

    from config.celery import app

    router = app.amqp.router
    for name in ("network.dispatch_due_digests", "outbox.sweep"):
        assert router.route({}, name)["queue"].name == "sweep", name
    assert router.route({}, "network.send_chunk")["queue"].name != "sweep"
    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    command = compose["services"]["worker"]["command"]
    assert command[command.index("-Q") + 1].split(",") == ["celery", "sweep"]
    # Often enough that rows a dead worker held (a 30 s lease) are sent within a minute.
    assert app.conf.beat_schedule["network-due-digests"]["schedule"] + ledger.LEASE.total_seconds() <= 45
