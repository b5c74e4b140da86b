"""Benchmark the member directory with 10,000 organisations on PostgreSQL.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything .venv/bin/python scripts/bench_members.py
It works in its own database, anchors_bench on the same server (created and migrated if
missing), loads 10,000 verified organisations once, then times the directory through Django's
test client: unfiltered, region + type filter, region + pillar filter, and a name search.
Target: the filtered directory under 100 ms median.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DB = "anchors_bench"
ORGANISATIONS = 10_000
REQUESTS = 50


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
            print(f"created database {BENCH_DB}")


def load(count: int) -> None:
    from anchors.models import Organisation, Pillar, Region

    have = Organisation.objects.count()
    if have >= count:
        print(f"{have} organisations already loaded")
        return
    rng = random.Random(2026)
    regions = list(Region.objects.all())
    pillars = list(Pillar.objects.all())
    types = [t for t, _ in Organisation.Type.choices]
    words = ["Northern", "Southern", "Royal", "City", "County", "Valley", "Coast", "Moor", "Bay", "Forest",
             "Riverside", "Hill", "Park", "Abbey", "Castle", "Bridge", "Market", "Harbour", "Green", "Vale"]
    rows = []
    for n in range(have, count):
        name = f"{rng.choice(words)} {rng.choice(words)} {n:05d} NHS Foundation Trust"
        rows.append(Organisation(
            name=name, slug=f"bench-{n:05d}", ods_code=f"B{n:05d}", type=rng.choice(types),
            region=rng.choice(regions), status=Organisation.Status.VERIFIED,
            description="A benchmark organisation.", pledge="We buy and hire locally.",
        ))
    created = Organisation.objects.bulk_create(rows, batch_size=2000)
    through = Organisation.pillars.through
    links = [through(organisation_id=o.pk, pillar_id=p.pk) for o in created for p in rng.sample(pillars, 2)]
    through.objects.bulk_create(links, batch_size=5000)
    print(f"loaded {len(created)} organisations")


def timed(client, path: str, params: dict) -> list[float]:
    client.get(path, params)  # warm up
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path, params)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} {params} answered {response.status_code}")
    return times


def main() -> int:
    url = bench_database_url()
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    load(ORGANISATIONS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    settings.ALLOWED_HOSTS = ["*"]
    client = Client(secure=True)
    scenarios = {
        "unfiltered": {},
        "region + type": {"region": "north-east-and-yorkshire", "type": "acute_trust"},
        "region + pillar": {"region": "london", "pillar": "purchasing"},
        "search name": {"q": "harbour"},
        "search, page 5": {"q": "royal", "page": "5"},
    }
    worst = 0.0
    print(f"{'scenario':<18} {'median ms':>10} {'p95 ms':>8}  ({REQUESTS} requests, {ORGANISATIONS} organisations)")
    for label, params in scenarios.items():
        times = sorted(timed(client, "/members/", params))
        median = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        if label != "unfiltered":
            worst = max(worst, median)
        print(f"{label:<18} {median:>10.1f} {p95:>8.1f}")
    ok = worst < 100
    print(f"filtered directory worst median {worst:.1f} ms: {'OK' if ok else 'OVER'} the 100 ms budget")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
