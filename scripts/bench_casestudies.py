"""Benchmark case study discovery on PostgreSQL at 1,000 and 100,000 published case studies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anchors_bench_cs .venv/bin/python scripts/bench_casestudies.py

Creates (or reuses) that database, migrates, loads the demo data, then synthetic case studies,
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
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/anchors_bench_cs"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def ensure_database(url: str, fresh: bool) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    ensure_database(url, args.fresh)

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from casestudies.demo import COMMON_TERM, RARE_TERM, load_synthetic
    from casestudies.models import CaseStudy
    from casestudies.search import forget_summaries

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    client = Client()

    def top_up(target: int) -> None:
        have = CaseStudy.objects.published().count()
        if have < target:
            start = time.perf_counter()
            load_synthetic(target - have, stdout=sys.stdout)
            print(f"  loaded {target - have} case studies in {time.perf_counter() - start:.0f} s")

    top_up(1_000)
    if CaseStudy.objects.published().count() > 2_000:
        print("Database already holds more than 1,000; use --fresh for the 1,000 vs 100,000 comparison.")
        small_list = None
    else:
        print(f"At {CaseStudy.objects.published().count()} published case studies:")
        small_list = report("list with facet counts", timed(client, "/case-studies/", args.runs))

    top_up(args.total)
    total = CaseStudy.objects.published().count()
    print(f"At {total} published case studies:")
    some = CaseStudy.objects.published().order_by("-published_at").values_list("slug", flat=True)[500]
    with_common = CaseStudy.objects.filter(approach__contains=COMMON_TERM).count()
    print(f"  ('{COMMON_TERM}' is in {with_common / total:.0%}; '{RARE_TERM}' in "
          f"{CaseStudy.objects.filter(approach__contains=RARE_TERM).count()} case studies)")
    forget_summaries()
    cache.clear()
    start = time.perf_counter()
    client.get("/case-studies/")
    print(f"  {'list, first request (facet summary not cached)':<44} {(time.perf_counter() - start) * 1000:7.1f} ms")
    big_list = report("list with facet counts", timed(client, "/case-studies/", args.runs))
    report("list, page 40", timed(client, "/case-studies/?page=40", args.runs))
    report("two-facet filter (pillar + region)", timed(client, "/case-studies/?pillar=workforce&region=Y63", args.runs))
    report("rare-term search", timed(client, f"/case-studies/?q={RARE_TERM}", args.runs))
    report("40% term search (relevance)", timed(client, f"/case-studies/?q={COMMON_TERM}", args.runs))
    report("40% term search (newest)", timed(client, f"/case-studies/?q={COMMON_TERM}&sort=newest", args.runs))
    report("search + facet filter", timed(client, "/case-studies/?q=carbon+-laundry&pillar=environment", args.runs))
    report("case study page", timed(client, f"/case-studies/{some}/", args.runs))
    if small_list:
        print(f"  list median at 100,000 / at 1,000: {big_list / small_list:.2f}x")


if __name__ == "__main__":
    main()
