"""Benchmark choosing personal digest items for 10,000 members, in chunks as the workers do.

    .venv/bin/python scripts/bench_digest_selection.py [--members 10000]

Uses the PostgreSQL database anchors_selection_bench (BENCH_SELECTION_DATABASE_URL overrides). It writes
the members (in 12 organisations across the regions, each in two of 40 groups, with chosen regions
and pillars for a third of them), last week's case studies, threads and upcoming events, then
times `selectors.personal_items_for` over every chunk of PEOPLE_PER_CHUNK members (the reads a
chunk task does) and, separately, `personal_chunk_write` (choose and write the rows, rolled back).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A database of its own: these members would otherwise join bench_digest.py's audience.
DB_URL = os.environ.get(
    "BENCH_SELECTION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anchors_selection_bench"
)
os.environ.update(DATABASE_URL=DB_URL, CELERY_BROKER_URL="", CACHE_KEY_PREFIX="netbench", DJANGO_SETTINGS_MODULE="config.settings")

PREFIX = "sel"


def ensure_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(DB_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    args, _unknown = parser.parse_known_args()  # bench.py passes its own arguments to every script
    ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from anchors.models import Membership, Organisation, Pillar, Region
    from casestudies.models import CaseStudy
    from network import personal_digests, selectors
    from network.models import Digest, DigestPreference, Event, Group, GroupMembership, Thread

    call_command("migrate", verbosity=0)
    # Start from nothing of ours: the people (cascading to their rows), groups, organisations.
    User.objects.filter(email__endswith=f"@{PREFIX}.bench.example.org").delete()
    Group.objects.filter(slug__startswith=f"{PREFIX}-bench-").delete()
    CaseStudy.objects.filter(organisation__slug__startswith=f"{PREFIX}-bench-").delete()
    Organisation.objects.filter(slug__startswith=f"{PREFIX}-bench-").delete()
    Digest.objects.filter(subject="Selection benchmark").delete()

    now = timezone.now()
    regions = list(Region.objects.order_by("pk"))
    pillars = list(Pillar.objects.order_by("pk"))
    organisations = [
        Organisation.objects.create(
            slug=f"{PREFIX}-bench-{i}", name=f"Selection Benchmark Trust {i}", type="acute_trust",
            status=Organisation.Status.VERIFIED, region=regions[i % len(regions)],
        )
        for i in range(12)
    ]
    users = User.objects.bulk_create(
        [User(email=f"p{i}@{PREFIX}.bench.example.org", full_name=f"Person {i}") for i in range(args.members)],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisations[i % 12], status=Membership.Status.ACTIVE)
         for i, u in enumerate(users)],
        batch_size=2000,
    )
    groups = Group.objects.bulk_create(
        [Group(name=f"Selection bench group {i}", slug=f"{PREFIX}-bench-{i}", pillar=pillars[i % len(pillars)])
         for i in range(40)]
    )
    GroupMembership.objects.bulk_create(
        [GroupMembership(user=u, group=groups[(i + k * 7) % 40], status=GroupMembership.Status.ACTIVE)
         for i, u in enumerate(users) for k in range(2)],
        batch_size=5000,
    )
    prefs = DigestPreference.objects.bulk_create(
        [DigestPreference(user=u) for u in users[::3]], batch_size=2000
    )
    DigestPreference.regions.through.objects.bulk_create(
        [DigestPreference.regions.through(digestpreference_id=p.pk, region_id=regions[i % len(regions)].pk)
         for i, p in enumerate(prefs)],
        batch_size=5000,
    )
    DigestPreference.pillars.through.objects.bulk_create(
        [DigestPreference.pillars.through(digestpreference_id=p.pk, pillar_id=pillars[i % len(pillars)].pk)
         for i, p in enumerate(prefs)],
        batch_size=5000,
    )
    last_week = now - timedelta(days=3)
    studies = CaseStudy.objects.bulk_create(
        [CaseStudy(organisation=organisations[i % 12], title=f"Benchmark story {i}", slug=f"{PREFIX}-bench-story-{i}",
                   summary="What we did.", status=CaseStudy.Status.PUBLISHED, published_at=last_week)
         for i in range(200)]
    )
    CaseStudy.pillars.through.objects.bulk_create(
        [CaseStudy.pillars.through(casestudy_id=cs.pk, pillar_id=pillars[i % len(pillars)].pk)
         for i, cs in enumerate(studies)]
    )
    Thread.objects.bulk_create(
        [Thread(group=groups[i % 40], author=users[i], title=f"Question {i}", created_at=last_week)
         for i in range(500)]
    )
    Event.objects.bulk_create(
        [Event(group=groups[i % 40], title=f"Meet-up {i}", starts_at=now + timedelta(days=5),
               ends_at=now + timedelta(days=5, hours=2)) for i in range(100)]
    )

    ids = [u.pk for u in users]
    size = personal_digests.PEOPLE_PER_CHUNK
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    # Pretend it is a Monday morning for everyone: selection treats everyone as weekly and due.
    monday = now - timedelta(days=now.weekday())
    monday = monday.replace(hour=9, minute=0)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        chosen = sum(len(selectors.personal_items_for(chunk, now=monday)) for chunk in chunks)
    select_seconds = time.perf_counter() - started
    print(f"Personal digest items chosen for {len(ids):,} members in {len(chunks)} chunks of {size}: "
          f"{select_seconds:.2f} s ({len(ctx) / len(chunks):.0f} queries a chunk; {chosen:,} have something new)")

    digest = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Selection benchmark", send_at=monday)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            written = sum(
                personal_digests.personal_chunk_write(digest_id=digest.pk, user_ids=chunk, now=monday,
                                                      queue=lambda ids: None)
                for chunk in chunks
            )
            write_seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    print(f"Chosen and written (delivery rows, digested items, preferences), rolled back: "
          f"{written:,} rows in {write_seconds:.2f} s")
    digest.delete()


if __name__ == "__main__":
    main()
