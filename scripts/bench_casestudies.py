"""Benchmark case study discovery on PostgreSQL at 1,000 and 100,000 published case studies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything .venv/bin/python scripts/bench_casestudies.py

Uses its own databases on that server, anchors_bench_cs and anchors_bench_cs_1k (or
BENCH_CS_DATABASE_URL and the same name + "_1k"); creates (or reuses) them, migrates, loads the demo data, then synthetic case studies,
and reports the median and 95th percentile server time of each page, measured in-process with
Django's test client (no network, no browser: the time Django and PostgreSQL take).
Options: --runs N (default 40), --total N (default 100000), --fresh (drop the database first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Always a database of its own (never the one DATABASE_URL names): it loads 100,000 rows.
# BENCH_CS_DATABASE_URL overrides; otherwise DATABASE_URL's server with the name anchors_bench_cs.
_server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
BENCH_URL = os.environ.get("BENCH_CS_DATABASE_URL") or _server.rsplit("/", 1)[0] + "/anchors_bench_cs"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def ensure_database(url: str, fresh: bool) -> None:
    """Create the benchmark's own database (dropping it first when fresh)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(client, path: str, runs: int) -> list[float]:
    for _ in range(3):  # warm caches and connections
        if client.get(path).status_code != 200:
            raise SystemExit(f"{path} did not answer 200")
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} did not answer 200")
    return samples


def report(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    print(f"  {label:<44} median {median:7.1f} ms   p95 {p95:7.1f} ms")
    return median


def setup_django(url: str, fresh: bool):
    os.environ["DATABASE_URL"] = url
    ensure_database(url, fresh)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import OutputWrapper

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return OutputWrapper(sys.stdout)


def top_up(target: int, out) -> None:
    from django.db import connection

    from casestudies.demo import load_synthetic
    from casestudies.models import CaseStudy

    have = CaseStudy.objects.published().count()
    if have < target:
        start = time.perf_counter()
        load_synthetic(target - have, stdout=out)
        out.write(f"  loaded {target - have} case studies in {time.perf_counter() - start:.0f} s")
        # Fresh rows need a vacuum before index-only scans can skip the table.
        with connection.cursor() as cursor:
            for table in ("casestudies_casestudy", "casestudies_casestudy_pillars", "taggit_taggeditem"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def list_only(url: str, total: int, runs: int) -> None:
    """Child process: the list page's samples at `total` case studies, as JSON on stdout."""
    import json

    out = setup_django(url, fresh=False)
    top_up(total, out)
    from django.test import Client

    print("SAMPLES " + json.dumps(timed(Client(), "/case-studies/", runs)))


def small_list_samples(url: str, runs: int) -> list[float]:
    import json
    import subprocess

    result = subprocess.run(  # noqa: S603 - this same script, our own arguments
        [sys.executable, __file__, "--list-only", "--total", "1000", "--runs", str(runs)],
        env={**os.environ, "DATABASE_URL": url, "BENCH_CS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("SAMPLES "))
    return json.loads(line.removeprefix("SAMPLES "))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--list-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"] if args.list_only else BENCH_URL
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    if args.list_only:
        list_only(url, args.total, args.runs)
        return
    small_url = url + "_1k"
    if args.fresh:
        ensure_database(small_url, fresh=True)

    out = setup_django(url, args.fresh)
    from django.core.cache import cache
    from django.test import Client

    from casestudies.demo import COMMON_TERM, RARE_TERM
    from casestudies.models import CaseStudy
    from casestudies.search import forget_summaries

    client = Client()
    top_up(args.total, out)
    total = CaseStudy.objects.published().count()
    print(f"At {total} published case studies (PostgreSQL, in-process test client, {args.runs} runs each):")
    some = CaseStudy.objects.published().order_by("-published_at").values_list("slug", flat=True)[500]
    with_common = CaseStudy.objects.filter(approach__contains=COMMON_TERM).count()
    print(f"  ('{COMMON_TERM}' is in {with_common / total:.0%}; '{RARE_TERM}' in "
          f"{CaseStudy.objects.filter(approach__contains=RARE_TERM).count()} case studies)")
    forget_summaries()
    cache.clear()
    start = time.perf_counter()
    client.get("/case-studies/")
    print(f"  {'list, first request (facet summary not cached)':<44} {(time.perf_counter() - start) * 1000:7.1f} ms")
    report("list with facet counts", timed(client, "/case-studies/", args.runs))
    report("list, page 40", timed(client, "/case-studies/?page=40", args.runs))
    report("two-facet filter (pillar + region)", timed(client, "/case-studies/?pillar=workforce&region=Y63", args.runs))
    report("rare-term search", timed(client, f"/case-studies/?q={RARE_TERM}", args.runs))
    report("40% term search (relevance)", timed(client, f"/case-studies/?q={COMMON_TERM}", args.runs))
    report("40% term search (newest)", timed(client, f"/case-studies/?q={COMMON_TERM}&sort=newest", args.runs))
    report("search + exclusion + facet", timed(client, "/case-studies/?q=carbon+-laundry&pillar=environment", args.runs))
    report("case study page", timed(client, f"/case-studies/{some}/", args.runs))

    # The list at 1,000 beside the list at 100,000, interleaved so both see the same machine load.
    small, big = [], []
    rounds = 4
    for _ in range(rounds):
        small += small_list_samples(small_url, max(5, args.runs // rounds))
        big += timed(client, "/case-studies/", max(5, args.runs // rounds))
    print("List page, interleaved rounds:")
    small_median = report("list at 1,000", small)
    big_median = report(f"list at {total:,}", big)
    print(f"  ratio {big_median / small_median:.2f}x")


if __name__ == "__main__":
    main()
