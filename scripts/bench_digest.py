"""Benchmark digest sending, fairly: one Celery worker against a plain loop, turn and turn about.

    .venv/bin/python scripts/bench_digest.py [--recipients 10000] [--rounds 3]

Uses PostgreSQL database anchors_net_bench (BENCH_DIGEST_DATABASE_URL overrides) and Redis db 5
(BENCH_DIGEST_BROKER_URL overrides) with a queue of its own. It writes the recipients, then starts
three processes of its own: an SMTP server (aiosmtpd, accepting at once), one `celery worker
--concurrency=2 --prefetch-multiplier=1`, and `python -c "while True: pass"`, which keeps one core
busy throughout, as other work on a real server would.

Each round runs, in turn:

A. the plain loop: the same messages, rendered beforehand, sent over one SMTP connection from
   this process; nothing is rendered or recorded;
B. the worker: a coordinator's digest from "send now" (ledger written, chunks fanned out) until
   every delivery row is marked sent, each message rendered and personalised (name, signed
   unsubscribe link, Message-ID) and each batch recorded in the ledger.

Both hand their messages to the same SMTP server in its own process. Each run prints messages a
minute with the 1-minute load average at its end; then the ratio B/A per round and the median.
Targets: B at least 10,000 a minute, and at least 0.8 x A.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DIGEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anchors_net_bench")
BROKER = os.environ.get("BENCH_DIGEST_BROKER_URL", "redis://127.0.0.1:6379/5")
os.environ.update(
    DATABASE_URL=DB_URL, CELERY_BROKER_URL=BROKER, CACHE_KEY_PREFIX="netbench",
    DJANGO_SETTINGS_MODULE="config.settings",
)


def ensure_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(DB_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def per_minute(n: int, seconds: float) -> float:
    return n / seconds * 60


def load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.core.mail import get_connection
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from anchors.models import Membership, Organisation, Region
    from config.celery import app
    from network import digests
    from network.models import Delivery, Digest
    from tests.network.smtpsink import SinkProcess

    call_command("migrate", verbosity=0)
    Digest.objects.filter(subject__startswith="Benchmark").delete()
    User.objects.filter(email__endswith="@bench.example.org").delete()
    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-trust",
        defaults={"name": "Benchmark NHS Trust", "type": "acute_trust", "status": Organisation.Status.VERIFIED,
                  "region": Region.objects.first()},
    )
    users = User.objects.bulk_create(
        [User(email=f"p{i}@bench.example.org", full_name=f"Person {i}") for i in range(args.recipients)],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisation, status=Membership.Status.ACTIVE) for u in users],
        batch_size=2000,
    )

    # The plain loop's messages: the same digest, rendered once, before any timing.
    template = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="Benchmark digest",
                                     introduction="Numbers, please.", status=Digest.Status.SENT)
    rows = Delivery.objects.bulk_create(
        [Delivery(digest=template, recipient=u, status=Delivery.Status.SENDING) for u in users], batch_size=2000
    )
    ids = [r.pk for r in rows]
    prerendered = [m for i in range(0, len(ids), 1000) for _pk, m in digests.build_messages(ids[i:i + 1000])]
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    sink = SinkProcess(workdir / "received.txt")
    queue = f"net-bench-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2", "--prefetch-multiplier=1",
         "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    results: list[tuple[float, float]] = []
    try:
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            time.sleep(0.2)
        time.sleep(5)  # the busy loop and the new processes settle into the load average
        print(f"{args.recipients} recipients, {args.rounds} rounds; one core kept busy by pid {busy.pid}")
        for round_number in range(1, args.rounds + 1):
            # A: the plain loop of pre-rendered messages over one connection.
            before = sink.count()
            smtp = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=sink.port)
            started = time.perf_counter()
            smtp.open()
            for message in prerendered:
                message.connection = smtp
                message.send()
            smtp.close()
            loop_seconds = time.perf_counter() - started
            loop_rate = per_minute(len(prerendered), loop_seconds)
            if sink.count() - before < len(prerendered):
                sys.exit(f"the SMTP server got only {sink.count() - before} of {len(prerendered)}")
            print(f"round {round_number} A plain loop:  {len(prerendered)} in {loop_seconds:5.1f} s = "
                  f"{loop_rate:8,.0f} a minute   (load average {load():.2f})", flush=True)

            # B: one worker, concurrency 2, a personalised digest through the ledger.
            before = sink.count()
            digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject=f"Benchmark digest {round_number}",
                                           introduction="Numbers, please.")
            started = time.perf_counter()
            digests.digest_start(digest_id=digest.pk)
            pending = Delivery.objects.filter(digest=digest).exclude(status=Delivery.Status.SENT)
            while pending.exists():
                time.sleep(0.1)
            worker_seconds = time.perf_counter() - started
            worker_rate = per_minute(args.recipients, worker_seconds)
            received = sink.count() - before
            if received < args.recipients:
                sys.exit(f"the SMTP server got only {received} of {args.recipients}")
            print(f"round {round_number} B worker:      {args.recipients} in {worker_seconds:5.1f} s = "
                  f"{worker_rate:8,.0f} a minute   (load average {load():.2f})  B/A {worker_rate / loop_rate:.2f}",
                  flush=True)
            results.append((loop_rate, worker_rate))
    finally:
        worker.terminate()
        worker.wait(30)
        busy.kill()
        sink.stop()

    ratios = [b / a for a, b in results]
    worker_median = statistics.median(b for _a, b in results)
    print(f"worker median {worker_median:,.0f} a minute "
          f"({'meets' if worker_median >= 10_000 else 'MISSES'} the 10,000 a minute target); "
          f"B/A per round {', '.join(f'{r:.2f}' for r in ratios)}, median {statistics.median(ratios):.2f} "
          f"({'meets' if statistics.median(ratios) >= 0.8 else 'MISSES'} the 0.8 target)")


if __name__ == "__main__":
    main()
