"""Benchmark the pages visitors and members see, at 1,000 and 100,000 published case studies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python scripts/bench_casestudies.py

Uses its own databases on that server: anchors_bench (100,000 case studies) and anchors_bench_1k
(1,000), each built once with `manage.py seed_demo --case-studies N` and reused after that
(--fresh rebuilds them). Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/7) for the cache.

1. In-process medians (Django's test client, no network) of each page *built*: the content
   version is bumped before every request, so neither the page cache nor a cached fragment
   answers; the list at 1,000 and at 100,000 in interleaved rounds.
2. The filter page built with and without parallel query (max_parallel_workers_per_gather=0).
3. Through gunicorn under production settings (config/gunicorn.py, DEBUG off, Redis cache,
   PostgreSQL): each page interleaved with /healthz (A B A B..., --rounds rounds) under wrk
   with 4 connections (or a small Python load generator when wrk is missing), printing the
   throughput ratio, p50 and p99 and the 1-minute load average beside each figure.
4. The first request after a publish, through gunicorn (median of --publishes publishes).

Both also get --resources N (300) published resources, which the list and search show beside the
case studies: 40% with the common term, one with the rare term, half among the newest.

Options: --rounds N (3), --seconds S per run (4), --runs N in-process (30), --total N (100000),
--resources N (300), --fresh, --skip-http.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
if not _server.startswith("postgres"):
    sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://... (any database on the server)")
SERVER = _server.rsplit("/", 1)[0]
BIG = os.environ.get("BENCH_CS_DATABASE_URL") or SERVER + "/anchors_bench"
SMALL = BIG + "_1k"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PORT = int(os.environ.get("BENCH_PORT", "8391"))

RARE, COMMON = "marmalade", "community"  # casestudies.demo: one in 10,000 and four in ten
PAGES = {
    "case-study list": "/case-studies/",
    "two-facet filter": "/case-studies/?pillar=workforce&region=Y63",
    "rare-term search": f"/case-studies/?q={RARE}",
    "term in 40% of rows": f"/case-studies/?q={COMMON}",
    "case-study page": None,  # filled in with a published slug
    "home": "/",
    "directory": "/members/",
    "organisation profile": None,
    "feed": "/case-studies/feed/",
}
MEMBER_PAGES = ["case-study list", "rare-term search", "case-study page"]


def env_for(url: str) -> dict:
    """Production settings against one benchmark database, with its own cache keys."""
    name = url.rsplit("/", 1)[1]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": f"bench-{name}",
        "CELERY_BROKER_URL": "",
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "PYTHONPATH": str(ROOT),
    }


# --- Databases ---------------------------------------------------------------------------------


def published_count(url: str) -> int | None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(SERVER + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM casestudies_casestudy WHERE status = 'published'").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def ensure_database(url: str, total: int, fresh: bool) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    have = None if fresh else published_count(url)
    if have is not None and have >= total:
        # Reused: only bring its schema up to date with the code being measured.
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env_for(url), check=True)  # noqa: S603
        return
    print(f"Building {name} with {total:,} case studies (once; later runs reuse it)...", flush=True)
    with psycopg.connect(SERVER + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = env_for(url)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([PYTHON, "manage.py", "seed_demo", "--case-studies", str(total)], cwd=ROOT, env=env,  # noqa: S603
                   check=True, stdout=subprocess.DEVNULL)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


RESOURCES = 300  # published resources beside the case studies, so the search's resource half works

RESOURCE_CODE = """
import django, random, sys
from datetime import timedelta
django.setup()
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from taggit.models import Tag, TaggedItem
from anchors.models import Organisation, Pillar
from casestudies import demo
from casestudies.models import CaseStudy, Resource
from casestudies.search import forget_summaries
wanted = int(sys.argv[1])
have = Resource.objects.published().count()
rng = random.Random(wanted)
organisations = list(Organisation.objects.verified())
pillar_ids = list(Pillar.objects.values_list("pk", flat=True))
tags = list(Tag.objects.filter(name__in=demo.TAGS))
newest = CaseStudy.objects.published().order_by("-published_at").values_list("published_at", flat=True).first()
span = CaseStudy.objects.published().count()  # one case study a minute, newest first
kinds = [k for k, _label in Resource.Kind.choices]
rows = []
for n in range(have, wanted):
    words = [rng.choice(demo.WORDS) for _ in range(30)]
    if rng.random() < 0.4:
        words.insert(rng.randrange(30), demo.COMMON_TERM)
    if n == wanted // 2:
        words.insert(5, demo.RARE_TERM)  # one, beside the rare term's few case studies
    partner = rng.random()
    # Half among the newest 2,000 case studies (a page of the list shows one now and then), half
    # spread over all of them.
    minutes = rng.uniform(0, 2000) if n % 2 else rng.uniform(0, span)
    rows.append(Resource(
        kind=kinds[n % len(kinds)], slug=f"bench-resource-{n}",
        title=" ".join(rng.choice(demo.WORDS) for _ in range(5)).capitalize() + f" {n}",
        summary=" ".join(words).capitalize() + ".", url="https://www.england.nhs.uk/",
        organisation=rng.choice(organisations),
        partner_organisation=rng.choice(organisations) if partner < 0.3 else None,
        partner_name="A charity named only" if 0.3 <= partner < 0.45 else "",
        status=Resource.Status.PUBLISHED, submitted_at=newest - timedelta(minutes=minutes + 60),
        published_at=newest - timedelta(minutes=minutes),
    ))
created = Resource.objects.bulk_create(rows)
through = Resource.pillars.through
content_type = ContentType.objects.get_for_model(Resource)
through.objects.bulk_create(through(resource_id=r.pk, pillar_id=p) for r in created
                            for p in rng.sample(pillar_ids, k=rng.choice((1, 1, 2, 3))))
TaggedItem.objects.bulk_create(TaggedItem(tag=t, content_type=content_type, object_id=r.pk) for r in created
                               for t in rng.sample(tags, k=rng.choice((1, 2, 3))))
with connection.cursor() as cursor:
    for table in ("casestudies_resource", "casestudies_resource_pillars", "taggit_taggeditem"):
        cursor.execute(f"ANALYZE {table}")
forget_summaries()
print(f"RESOURCES {len(created)} added, {Resource.objects.published().count()} published")
"""


def ensure_resources(url: str, wanted: int) -> None:
    """Top the database up to `wanted` published resources (the demo has ten): kinds in turn,
    four in ten with the common term, one with the rare term, a third made by a partner
    organisation and some by a partner named only, pillars and tags as case studies have."""
    out = subprocess.run([PYTHON, "-c", RESOURCE_CODE, str(wanted)], env=env_for(url), capture_output=True,  # noqa: S603
                         text=True, check=True, cwd=ROOT)
    print(next(line for line in out.stdout.splitlines() if line.startswith("RESOURCES ")).removeprefix("RESOURCES "),
          f"({url.rsplit('/', 1)[1]})", flush=True)


# --- In-process (child process per database) ---------------------------------------------------


def child_main(args) -> None:
    """Runs inside a child with env_for(db): medians of pages built, as JSON on stdout."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from sitecache import bump_content_version

    client = Client()
    paths = json.loads(args.child_paths)
    if args.child_parallel:
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather" if args.child_parallel == "on"
                           else "SET max_parallel_workers_per_gather = 0")
    results = {}
    for label, path in paths.items():
        samples = []
        for i in range(args.runs + 3):
            bump_content_version()  # no stored page, fragment or label answers
            start = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            if i >= 3:  # the first few warm connections and imports
                samples.append(elapsed)
        results[label] = samples
    print("RESULTS " + json.dumps(results))


def in_process(url: str, paths: dict, runs: int, parallel: str = "") -> dict[str, list[float]]:
    command = [PYTHON, __file__, "--child-paths", json.dumps(paths), "--runs", str(runs)]
    if parallel:
        command += ["--child-parallel", parallel]
    out = subprocess.run(command, env=env_for(url), capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    if out.returncode:
        raise SystemExit(f"in-process run failed:\n{out.stderr[-3000:]}")
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULTS "))
    return json.loads(line.removeprefix("RESULTS "))


def load1() -> float:
    return os.getloadavg()[0]


def median(samples) -> float:
    return statistics.median(samples)


def p99(samples) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# --- Through gunicorn --------------------------------------------------------------------------


def start_gunicorn(url: str) -> subprocess.Popen:
    env = env_for(url)
    gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
    process = subprocess.Popen(  # noqa: S603
        [gunicorn, "config.wsgi:application", "--config", "config/gunicorn.py", "--bind", f"127.0.0.1:{PORT}",
         "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)  # noqa: S310 - our own local server
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def load(path: str, seconds: float, cookie: str = "") -> tuple[float, float, float]:
    """(requests a second, p50 ms, p99 ms) with 4 connections for `seconds`."""
    url = f"http://127.0.0.1:{PORT}{path}"
    if shutil.which("wrk"):
        command = ["wrk", "-t2", "-c4", f"-d{max(1, round(seconds))}s", "--latency", url]
        if cookie:
            command[1:1] = ["-H", f"Cookie: {cookie}"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
        value = r"([\d.]+(?:us|ms|s|m))"
        p50_line = re.search(r"^\s+50%\s+" + value, out, re.MULTILINE)
        p99_line = re.search(r"^\s+99%\s+" + value, out, re.MULTILINE)
        if "Socket errors" in out or not (p50_line and p99_line):
            print(f"    (wrk reported trouble on {path}:\n{out})", flush=True)
        if not (p50_line and p99_line):
            return 0.0, float("nan"), float("nan")
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        # The distribution's own lines, not a "72.50%" in the thread stats above them.
        p50, p99_ = _ms(p50_line.group(1)), _ms(p99_line.group(1))
        if "Non-2xx" in out:
            raise SystemExit(f"{path} answered errors under load:\n{out}")
        return rate, p50, p99_
    return _python_load(path, seconds, cookie)


def _python_load(path: str, seconds: float, cookie: str) -> tuple[float, float, float]:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"Cookie": cookie} if cookie else {}

    def worker():
        conn = HTTPConnection("127.0.0.1", PORT, timeout=10)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
            samples.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(samples) / seconds, median(samples), p99(samples)


def beside_healthz(label: str, path: str, rounds: int, seconds: float, cookie: str = "") -> None:
    ratios, p50s, p99s, loads = [], [], [], []
    for _ in range(rounds):
        base, _b50, _b99 = load("/healthz", seconds)
        rate, p50, p99_ = load(path, seconds, cookie)
        ratios.append(rate / base if base else float("nan"))
        p50s.append(p50)
        p99s.append(p99_)
        loads.append(load1())
    print(f"  {label:<34} {median(ratios):5.2f} x /healthz  p50 {median(p50s):6.1f} ms  p99 {median(p99s):6.1f} ms"
          f"   (ratios {', '.join(f'{r:.2f}' for r in ratios)}; load {', '.join(f'{x:.1f}' for x in loads)})",
          flush=True)


def signed_in_cookie(url: str) -> str:
    """A session for the demo member, made in a child with the server's settings."""
    code = ("import django; django.setup(); from django.test import Client; "
            "from django.contrib.auth import get_user_model; c = Client(); "
            "c.force_login(get_user_model().objects.get(email='member@example.org')); "
            "print('COOKIE sessionid=' + c.cookies['sessionid'].value)")
    out = subprocess.run([PYTHON, "-c", code], env=env_for(url), capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    return next(line for line in out.stdout.splitlines() if line.startswith("COOKIE ")).removeprefix("COOKIE ")


PUBLISH_CODE = """
import django, json, sys, time, urllib.request
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from anchors.models import Organisation
from casestudies import services
from casestudies.models import CaseStudy
coordinator = get_user_model().objects.get(email="coordinator@example.org")
organisation = Organisation.objects.verified().exclude(memberships__user=coordinator).first()
times = {"list": [], "the new case study": [], "home": [], "two-facet filter": []}
for i in range(int(sys.argv[1])):
    case_study = CaseStudy.objects.create(
        organisation=organisation, slug=f"bench-publish-{time.time_ns()}", title=f"Benchmark publish {i}",
        summary="Published by the benchmark.", status=CaseStudy.Status.SUBMITTED, submitted_at=timezone.now())
    services.case_study_publish(case_study=case_study, by=coordinator)
    for label, path in (("list", "/case-studies/"), ("the new case study", f"/case-studies/{case_study.slug}/"),
                        ("home", "/"), ("two-facet filter", "/case-studies/?pillar=workforce&region=Y63")):
        start = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}{path}", timeout=30).read()
        times[label].append((time.perf_counter() - start) * 1000)
    time.sleep(0.5)
print("RESULTS " + json.dumps(times))
"""


def after_publish(url: str, publishes: int) -> None:
    out = subprocess.run([PYTHON, "-c", PUBLISH_CODE, str(publishes), str(PORT)], env=env_for(url),  # noqa: S603
                         capture_output=True, text=True, check=True, cwd=ROOT)
    results = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULTS ")).removeprefix("RESULTS "))
    for label, samples in results.items():
        print(f"  first request after a publish: {label:<22} median {median(samples):6.1f} ms  "
              f"max {max(samples):6.1f} ms   (load {load1():.1f})")


def public_paths(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        slug = conn.execute("SELECT slug FROM casestudies_casestudy WHERE status = 'published' "
                            "ORDER BY published_at DESC OFFSET 500 LIMIT 1").fetchone()[0]
        organisation = conn.execute("SELECT slug FROM anchors_organisation WHERE status = 'verified' "
                                    "ORDER BY name LIMIT 1").fetchone()[0]
    return {**PAGES, "case-study page": f"/case-studies/{slug}/", "organisation profile": f"/members/{organisation}/"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--publishes", type=int, default=7)
    parser.add_argument("--resources", type=int, default=RESOURCES)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--child-paths", help=argparse.SUPPRESS)
    parser.add_argument("--child-parallel", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_paths:
        child_main(args)
        return

    # Production settings serve static files from the manifest: collect them once.
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env_for(BIG), check=True)  # noqa: S603
    ensure_database(SMALL, 1000, args.fresh)
    ensure_database(BIG, args.total, args.fresh)
    ensure_resources(SMALL, args.resources)
    ensure_resources(BIG, args.resources)
    big_paths, small_paths = public_paths(BIG), public_paths(SMALL)
    print(f"Machine: {os.cpu_count()} cores; load average now {load1():.1f}. wrk: {'yes' if shutil.which('wrk') else 'no'}")

    print(f"\n1. In-process, each page built (no cached page or fragment), median of {args.runs}:")
    built = {"case-study list", "two-facet filter", "rare-term search", "term in 40% of rows", "case-study page"}
    big = in_process(BIG, {k: v for k, v in big_paths.items() if k in built}, args.runs)
    for label, samples in big.items():
        print(f"  {label:<34} at {args.total:,}: median {median(samples):6.1f} ms  p99 {p99(samples):6.1f} ms"
              f"   (load {load1():.1f})")
    small, large = [], []
    for _ in range(3):  # interleaved, so both see the same machine
        small += in_process(SMALL, {"list": small_paths["case-study list"]}, args.runs // 3 + 1)["list"]
        large += in_process(BIG, {"list": big_paths["case-study list"]}, args.runs // 3 + 1)["list"]
    print(f"  list at 1,000: median {median(small):.1f} ms; at {args.total:,}: median {median(large):.1f} ms; "
          f"ratio {median(large) / median(small):.2f}   (load {load1():.1f})")

    print("\n2. Two-facet filter built, with and without parallel query (interleaved):")
    on, off = [], []
    for _ in range(3):
        on += in_process(BIG, {"f": big_paths["two-facet filter"]}, args.runs // 3 + 1, "on")["f"]
        off += in_process(BIG, {"f": big_paths["two-facet filter"]}, args.runs // 3 + 1, "off")["f"]
    print(f"  parallel on: median {median(on):.1f} ms p99 {p99(on):.1f}; off: median {median(off):.1f} ms "
          f"p99 {p99(off):.1f}   (load {load1():.1f})")

    if args.skip_http:
        return
    server = start_gunicorn(BIG)
    try:
        for path in big_paths.values():  # fill the caches once, as the first visitors would
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=60).read()  # noqa: S310
        print(f"\n3. Through gunicorn (config/gunicorn.py), {args.rounds} rounds of {args.seconds:g} s beside "
              "/healthz, 4 connections. Visitors:")
        for label, path in big_paths.items():
            beside_healthz(label, path, args.rounds, args.seconds)
        cookie = signed_in_cookie(BIG)
        print("  Signed-in member:")
        for label in MEMBER_PAGES:
            beside_healthz(label, big_paths[label], args.rounds, args.seconds, cookie)
        print("\n4. After a publish (the facet summary is recounted after the commit, not by visitors):")
        after_publish(BIG, args.publishes)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
