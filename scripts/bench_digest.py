"""Benchmark digest sending: 10,000 personalised emails through one real Celery worker.

    .venv/bin/python scripts/bench_digest.py [--recipients 10000]

Uses PostgreSQL database anchors_net_bench (BENCH_DIGEST_DATABASE_URL overrides) and Redis db 5
(BENCH_DIGEST_BROKER_URL overrides) with a queue of its own. It writes 10,000 recipients, starts
a local SMTP server (aiosmtpd in a thread, accepting at once) and one `celery worker
--concurrency=2`, then times a coordinator's digest from "send now" (ledger written, chunks
fanned out) until every delivery row is marked sent: each message rendered, personalised (name,
signed unsubscribe link, absolute links) and handed to the SMTP server. For comparison it then
sends the same messages, rendered beforehand, in a plain loop over one SMTP connection.
Target: at least 10,000 emails a minute through the worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
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
    from tests.network import smtpsink

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
    connection.close()

    controller, smtp = smtpsink.start(delay=0)
    queue = f"net-bench-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2", "--prefetch-multiplier=1",
         "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            time.sleep(0.2)
        digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="Benchmark digest",
                                       introduction="Numbers, please.")
        started = time.perf_counter()
        digests.digest_start(digest_id=digest.pk)
        pending = Delivery.objects.filter(digest=digest).exclude(status=Delivery.Status.SENT)
        while pending.exists():
            time.sleep(0.1)
        worker_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    received = smtp.count
    if received < args.recipients:
        sys.exit(f"the SMTP server got only {received} of {args.recipients}")

    # The same messages, rendered beforehand, sent in a plain loop over one connection.
    ids = list(Delivery.objects.filter(digest=digest).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.SENDING)
    messages = [m for chunk in range(0, len(ids), 1000) for _pk, m in digests.build_messages(ids[chunk:chunk + 1000])]
    smtp_connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=controller.port
    )
    started = time.perf_counter()
    smtp_connection.open()
    for message in messages:
        message.connection = smtp_connection
        message.send()
    smtp_connection.close()
    loop_seconds = time.perf_counter() - started
    controller.stop()

    worker_rate = args.recipients / worker_seconds * 60
    loop_rate = len(messages) / loop_seconds * 60
    print(f"Celery worker (concurrency 2), render + personalise + send + ledger: "
          f"{args.recipients} in {worker_seconds:.1f} s = {worker_rate:,.0f} emails/minute "
          f"({'meets' if worker_rate >= 10_000 else 'MISSES'} the 10,000/minute target)")
    print(f"Plain loop, pre-rendered, one SMTP connection: {len(messages)} in {loop_seconds:.1f} s "
          f"= {loop_rate:,.0f} emails/minute")
    print(f"Worker / plain loop: {worker_rate / loop_rate:.2f}")


if __name__ == "__main__":
    main()
