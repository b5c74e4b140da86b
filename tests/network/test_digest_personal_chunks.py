"""Personal digests in chunks of people, as Zulip does: the beat task queues one task per chunk of
ids; each chunk chooses the items for all its people in a fixed number of queries and writes its
rows in bulk."""

import datetime
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from network import personal_digests
from network.models import Delivery, Digest, DigestedItem, DigestPreference, Event, Follow
from network.personal_digests import personal_chunk_write, personal_run_start
from tests.anchors.factories import OrganisationFactory, member_of, pillar, region
from tests.casestudies.factories import PublishedCaseStudyFactory

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db
MONDAY_8AM = datetime.datetime(2027, 3, 29, 7, 0, tzinfo=datetime.UTC)  # 08:00 in London
FRIDAY = MONDAY_8AM - timedelta(days=3)


def test_the_beat_task_queues_one_task_per_chunk_of_people(monkeypatch):
    organisation = OrganisationFactory()
    people = [member_of(organisation) for _ in range(5)]
    never = member_of(organisation)
    DigestPreference.objects.create(user=never, frequency=DigestPreference.Frequency.NEVER)
    monkeypatch.setattr(personal_digests, "PEOPLE_PER_CHUNK", 2)
    queued: list[tuple] = []
    with time_machine.travel(MONDAY_8AM, tick=False):
        run, count = personal_run_start(queue_selection=lambda *args: queued.append(args))
    ids = [p.pk for p in people]
    assert count == 5
    assert [chunk for _digest, chunk, _now in queued] == [ids[0:2], ids[2:4], ids[4:]]
    assert {digest_id for digest_id, _chunk, _now in queued} == {run.pk}


def people_with_something_new(n: int) -> list:
    """n people shaped alike: each has chosen a region and a pillar, belongs to a group with a new
    thread and an upcoming event, works where a case study was published last week, and follows
    that organisation and a tag (so every query runs; resources in digests are tested in
    test_follow_digests, as fifty people's six items each would split SQLite's bulk insert)."""
    organisation = OrganisationFactory()
    tag, _ = Tag.objects.get_or_create(name="anchor charter", slug="anchor-charter")
    group = GroupFactory()
    writer = member_of(organisation)
    join(group, writer)
    people = []
    for _ in range(n):
        person = member_of(organisation)
        join(group, person)
        pref = DigestPreference.objects.create(user=person)
        pref.regions.add(region("Y56"))
        pref.pillars.add(pillar("purchasing"))
        Follow.objects.create(user=person, organisation=organisation)
        Follow.objects.create(user=person, tag=tag)
        people.append(person)
    with time_machine.travel(FRIDAY, tick=False):
        thread_in(group, writer, title="Buying from local firms")
        PublishedCaseStudyFactory(organisation=organisation, pillars=[pillar("purchasing")])
        Event.objects.create(
            group=group, title="Meet-up", starts_at=MONDAY_8AM + timedelta(days=7),
            ends_at=MONDAY_8AM + timedelta(days=7, hours=2), location="York",
        )
    return people


# One comment per expected query, in order.
EXPECTED = [
    "their preferences: how often and since when",
    "the regions they chose",
    "the pillars they chose",
    "their groups, with each group's region and pillar",
    "their organisations' regions",
    # Follows (issue 12) added three: what they follow, candidate resources, and the followed
    # tags the candidates carry.
    "what they follow: organisations, pillars, regions and tags",
    "candidate case studies (one row per pillar)",
    "candidate resources (one row per pillar)",
    "the followed tags the candidates carry",
    "candidate threads",
    "candidate events",
    "what they have already had, among the candidates",
    "SAVEPOINT (the write is one transaction)",
    "lock the run, so writers of the same run take turns",
    "rows already written for these people",
    "INSERT their delivery rows",
    "INSERT what each has now been sent",
    "INSERT missing preferences",
    "UPDATE when each had their last digest",
    "UPDATE the run to 'sending'",
    "RELEASE SAVEPOINT",
]


def write_chunk_counting(people: list) -> CaptureQueriesContext:
    run, _ = Digest.objects.get_or_create(kind=Digest.Kind.PERSONAL, send_at=MONDAY_8AM, defaults={"subject": "Yours"})
    with CaptureQueriesContext(connection) as ctx:
        written = personal_chunk_write(
            digest_id=run.pk, user_ids=[p.pk for p in people], now=MONDAY_8AM, queue=lambda ids: None
        )
    assert written == len(people)
    return ctx


def explain(ctx: CaptureQueriesContext) -> str:
    return "\n".join(f"{i + 1}. {q['sql'][:300]}" for i, q in enumerate(ctx.captured_queries))


def test_a_chunk_chooses_and_writes_in_the_same_queries_for_one_or_fifty_people():
    """Prevent an n+1: choosing items once per person cost about 20 queries each."""
    one, fifty = people_with_something_new(1), people_with_something_new(50)
    for people in (one, fifty):
        ctx = write_chunk_counting(people)
        assert len(ctx) == len(EXPECTED), f"{len(people)} people:\n{explain(ctx)}"
    assert Delivery.objects.count() == 51
    # Each got their group's thread and event and both case studies (each is in their region and
    # on their pillar), and has them recorded as sent.
    row = Delivery.objects.get(recipient=fifty[-1])
    assert [len(row.items[k]) for k in ("case_studies", "resources", "threads", "events")] == [2, 0, 1, 1]
    assert DigestedItem.objects.filter(user=fifty[-1]).count() == 4
    assert DigestPreference.objects.get(user=fifty[-1]).last_personal_digest_at == MONDAY_8AM
