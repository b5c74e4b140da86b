"""Benchmark the insight page and the evidence comparison pages (issue 11: under 200 ms at the
median with 1,000 organisations and 100,000 case studies).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x BENCH_ONLY=evidence make bench

Uses its own database on that server, anchors_bench_evidence, built once and reused after that
(--fresh rebuilds it with seed_demo): a copy of anchors_bench when that exists and nobody is connected to it,
otherwise `manage.py seed_demo --case-studies N`; then 1,000 verified organisations sharing the
case studies, published figures for 3 years on every standard measure for every organisation,
commitments with signatures, self-assessments for four in five organisations, and a submitted and
a published moderation transition for every published case study. Needs Redis (REDIS_URL, default
redis://127.0.0.1:6379/7) for the cache, as in production.

In-process (Django's test client, DEBUG off, PostgreSQL, the Redis cache): each page interleaved
with /healthz (A B A B..., --rounds rounds of --runs requests each), printing the median and p95
and the 1-minute load average beside each figure. "/insight/ cold" deletes the insight tables
and the case-study facet summary from the cache before every request (the full build; once more
with the facet summary kept, as its worker keeps it); "warm"
answers from the tables the beat task keeps.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
if not _server.startswith("postgres"):
    sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://... (any database on the server)")
SERVER = _server.rsplit("/", 1)[0]
URL = os.environ.get("BENCH_EVIDENCE_DATABASE_URL") or SERVER + "/anchors_bench_evidence"
SOURCE = os.environ.get("BENCH_CS_DATABASE_URL") or SERVER + "/anchors_bench"  # bench_casestudies' database
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
ORGANISATIONS = 1000
YEARS = 3


def env_for(url: str) -> dict:
    name = url.rsplit("/", 1)[1]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": "http://127.0.0.1:8392",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": f"bench-{name}",
        "CELERY_BROKER_URL": "",
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "PYTHONPATH": str(ROOT),
    }


# --- The database --------------------------------------------------------------------------------


def _ready(url: str) -> bool:
    """Whether the database exists and holds the whole data set (the last step writes the marker)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(SERVER + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
    try:
        with psycopg.connect(url) as conn:
            return bool(conn.execute("SELECT 1 FROM bench_evidence_ready").fetchone())
    except psycopg.errors.UndefinedTable:
        return False


def ensure_database(total: int, fresh: bool) -> None:
    import psycopg

    if not fresh and _ready(URL):
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env_for(URL), check=True)  # noqa: S603
        return
    name, source = URL.rsplit("/", 1)[1], SOURCE.rsplit("/", 1)[1]
    print(f"Building {name} (once; later runs reuse it)...", flush=True)
    env = env_for(URL)
    with psycopg.connect(SERVER + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        copied = False
        try:  # bench_casestudies' database already holds 100,000 case studies: copy it when idle
            have = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [source]).fetchone()
            if have and not fresh:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                copied = True
        except psycopg.errors.ObjectInUse:
            pass
        if not copied:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    with psycopg.connect(URL) as conn:
        published = conn.execute("SELECT count(*) FROM casestudies_casestudy WHERE status = 'published'").fetchone()[0]
    if published < total:
        print(f"  seed_demo --case-studies {total - published}", flush=True)
        subprocess.run([PYTHON, "manage.py", "seed_demo", "--case-studies", str(total - published)], cwd=ROOT,  # noqa: S603
                       env=env, check=True, stdout=subprocess.DEVNULL)
    else:
        print(f"  copied {source} ({published:,} published case studies)", flush=True)
    subprocess.run([PYTHON, __file__, "--child-seed"], cwd=ROOT, env=env, check=True)  # noqa: S603
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def child_seed() -> None:
    """Inside a child with the benchmark database's settings: everything but the case studies."""
    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from anchors.models import Organisation, Pillar, Region
    from evidence import years
    from evidence.demo import TYPICAL
    from evidence.models import (
        AnnualFigure,
        Commitment,
        CommitmentSignature,
        SelfAssessment,
        SelfAssessmentAnswer,
        StandardMeasure,
    )
    from evidence.units import UnitKind

    rng = random.Random(2026)
    now = timezone.now()
    coordinator = get_user_model().objects.filter(email="coordinator@example.org").first()
    with transaction.atomic():
        # Organisations, as bench_members makes them, up to 1,000 verified.
        have = Organisation.objects.verified().count()
        regions, pillars = list(Region.objects.all()), list(Pillar.objects.all())
        types = [t for t, _ in Organisation.Type.choices]
        words = ["Northern", "Southern", "Royal", "City", "County", "Valley", "Coast", "Moor", "Bay", "Forest",
                 "Riverside", "Hill", "Park", "Abbey", "Castle", "Bridge", "Market", "Harbour", "Green", "Vale"]
        rows = [
            Organisation(
                name=f"{rng.choice(words)} {rng.choice(words)} {n:05d} NHS Trust", slug=f"bench-ev-{n:05d}",
                ods_code=f"E{n:05d}", type=rng.choice(types), region=rng.choice(regions),
                status=Organisation.Status.VERIFIED, description="A benchmark organisation.",
                pledge="We buy and hire locally.",
            )
            for n in range(have, ORGANISATIONS)
        ]
        created = Organisation.objects.bulk_create(rows, batch_size=2000)
        through = Organisation.pillars.through
        through.objects.bulk_create(
            [through(organisation_id=o.pk, pillar_id=p.pk) for o in created for p in rng.sample(pillars, 2)],
            batch_size=5000,
        )
        verified = list(Organisation.objects.verified().values_list("pk", flat=True).order_by("pk"))
        print(f"  {len(created)} organisations added ({len(verified)} verified)", flush=True)

        with connection.cursor() as cursor:
            # Share the published case studies among every verified organisation.
            cursor.execute(
                "UPDATE casestudies_casestudy SET organisation_id = (%s::bigint[])[1 + id %% %s] "
                "WHERE status = 'published'", [verified, len(verified)],
            )
            # A submission and a publication for each published case study that has none yet.
            by = coordinator.pk if coordinator else None
            cursor.execute(
                "INSERT INTO casestudies_transition (case_study_id, action, from_status, to_status, by_id, at, comment) "
                "SELECT c.id, 'submitted', 'draft', 'submitted', %s, "
                "  c.published_at - (1 + c.id %% 40) * interval '1 day' - (c.id %% 24) * interval '1 hour', '' "
                "FROM casestudies_casestudy c WHERE c.status = 'published' AND c.published_at IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM casestudies_transition t WHERE t.case_study_id = c.id)", [by],
            )
            cursor.execute(
                "INSERT INTO casestudies_transition (case_study_id, action, from_status, to_status, by_id, at, comment) "
                "SELECT c.id, 'published', 'submitted', 'published', %s, c.published_at, '' "
                "FROM casestudies_casestudy c WHERE c.status = 'published' AND c.published_at IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM casestudies_transition t WHERE t.case_study_id = c.id "
                "  AND t.action = 'published')", [by],
            )
        print("  case studies shared out; moderation transitions added", flush=True)

        # Published figures: every organisation, every standard measure, the last 3 years.
        this_year = years.current()
        measures = list(StandardMeasure.objects.all())
        figures = []
        for pk in verified:
            scale = Decimal(rng.randint(30, 170)) / 100
            for index, year in enumerate(range(this_year - YEARS, this_year)):
                for measure in measures:
                    typical, growth = TYPICAL.get(measure.slug, (Decimal("100"), Decimal("1.1")))
                    value = typical * growth**index
                    if measure.unit_kind == UnitKind.PERCENTAGE:
                        value = min(value + rng.randint(-8, 8), Decimal("100"))
                    else:
                        value *= scale
                    figures.append(AnnualFigure(
                        organisation_id=pk, measure=measure, year=year, value=max(value, Decimal(0)).quantize(Decimal("0.1")),
                        status=AnnualFigure.Status.PUBLISHED, source="Annual report", published_at=now,
                    ))
        AnnualFigure.objects.bulk_create(figures, batch_size=5000, ignore_conflicts=True)
        print(f"  {len(figures):,} published figures", flush=True)

        # Commitments: the demo's two plus one for each of four more measures, each signed by many.
        for measure in measures[:4]:
            Commitment.objects.get_or_create(
                slug=f"bench-{measure.slug}", defaults={
                    "title": f"Benchmark commitment on {measure.name.lower()}", "measure": measure,
                    "target_value": Decimal("50"), "target_date": now.date().replace(year=now.year + 2, month=3, day=31),
                },
            )
        signatures = [
            CommitmentSignature(commitment=c, organisation_id=pk, signed_by=coordinator, signed_at=now)
            for c in Commitment.objects.all() for pk in rng.sample(verified, len(verified) * 3 // 10)
        ]
        CommitmentSignature.objects.bulk_create(signatures, batch_size=5000, ignore_conflicts=True)
        print(f"  {Commitment.objects.count()} commitments, {len(signatures):,} signatures", flush=True)

        # Self-assessments for four in five organisations, this year and last.
        assessments = [
            SelfAssessment(organisation_id=pk, year=year, completed_at=now)
            for pk in verified if rng.random() < 0.8 for year in (this_year - 1, this_year)
        ]
        SelfAssessment.objects.bulk_create(assessments, batch_size=5000, ignore_conflicts=True)
        answers = [
            SelfAssessmentAnswer(assessment_id=a, pillar=p, level=rng.randint(1, 5))
            for a in SelfAssessment.objects.values_list("pk", flat=True) for p in pillars
        ]
        SelfAssessmentAnswer.objects.bulk_create(answers, batch_size=5000, ignore_conflicts=True)
        print(f"  {len(assessments):,} self-assessments", flush=True)

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_evidence_ready (built_at timestamptz)")
            cursor.execute("INSERT INTO bench_evidence_ready VALUES (now())")


# --- Measuring (in a child with the benchmark database's settings) ------------------------------


def child_measure(args) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from casestudies.caching import SUMMARY_KEY, rebuild_facet_summary
    from evidence.models import StandardMeasure
    from insight.selectors import TABLES, build_table, cache_key
    from sitecache import bump_content_version

    def forget_insight():
        cache.delete_many([cache_key(k) for k in TABLES] + [SUMMARY_KEY])
        bump_content_version()  # nor a stored page or fragment

    def forget_tables():  # the facet summary kept, as a worker keeps it after every change
        cache.delete_many([cache_key(k) for k in TABLES])
        bump_content_version()

    def warm_insight():
        rebuild_facet_summary()
        for key in TABLES:  # what the beat task does every 5 minutes
            build_table(key)

    visitor = Client()
    coordinator = Client()
    user = get_user_model().objects.filter(email="coordinator@example.org").first()
    if user:
        coordinator.force_login(user)
    measures = list(StandardMeasure.objects.filter(slug__in=["local-spend", "hires-most-deprived-areas-share"]))
    region = "north-east-and-yorkshire"
    from anchors.models import Region

    region = Region.objects.values_list("slug", flat=True).order_by("pk").first() or region

    pages = [
        ("/insight/ warm (visitor)", visitor, "/insight/", warm_insight),
        ("/insight/ cold (visitor)", visitor, "/insight/", forget_insight),
        ("/insight/ cold, facet summary kept (visitor)", visitor, "/insight/", forget_tables),
    ]
    if user:
        pages += [
            ("/insight/ warm (coordinator)", coordinator, "/insight/", warm_insight),
            ("/insight/ cold (coordinator)", coordinator, "/insight/", forget_insight),
            ("/insight/ cold, facet summary kept (coordinator)", coordinator, "/insight/", forget_tables),
        ]
    for measure in measures:
        pages += [
            (f"/measures/{measure.slug}/", visitor, f"/measures/{measure.slug}/", None),
            (f"/measures/{measure.slug}/?region={region}", visitor, f"/measures/{measure.slug}/?region={region}", None),
        ]
    pages.append(("/commitments/", visitor, "/commitments/", None))

    def timed(client, path, before) -> float:
        if before is not None and before is not warm_insight:
            before()
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return elapsed

    for label, client, path, before in pages:
        if before is warm_insight:
            warm_insight()
        for _ in range(2):  # first connections, imports, template loading
            timed(client, path, before)
            visitor.get("/healthz")
        page, health, loads = [], [], []
        for _ in range(args.rounds):
            for _ in range(args.runs):
                start = time.perf_counter()
                visitor.get("/healthz")
                health.append((time.perf_counter() - start) * 1000)
                page.append(timed(client, path, before))
            loads.append(os.getloadavg()[0])
        ordered = sorted(page)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        flag = "" if statistics.median(page) < 200 else "  <-- over 200 ms"
        print(f"  {label:<62} median {statistics.median(page):7.1f} ms  p95 {p95:7.1f} ms"
              f"  (/healthz {statistics.median(health):4.1f} ms; load {', '.join(f'{x:.1f}' for x in loads)}){flag}",
              flush=True)
    bump_content_version()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7, help="requests of each page per round")
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child-seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-measure", action="store_true", help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args()  # make bench passes every script the same arguments
    if args.child_seed:
        child_seed()
        return
    if args.child_measure:
        child_measure(args)
        return
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env_for(URL), check=True)  # noqa: S603
    ensure_database(args.total, args.fresh)
    print(f"Machine: {os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}.")
    print(f"In-process, {ORGANISATIONS:,} organisations and {args.total:,} case studies; each page interleaved with "
          f"/healthz, {args.rounds} rounds of {args.runs}:", flush=True)
    subprocess.run([PYTHON, __file__, "--child-measure", "--rounds", str(args.rounds), "--runs", str(args.runs)],  # noqa: S603
                   cwd=ROOT, env=env_for(URL), check=True)


if __name__ == "__main__":
    main()
