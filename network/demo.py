"""Demo learning groups: two thematic groups with members, a discussion and an event."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import demo_user
from accounts.models import User
from anchors.models import Pillar, Region
from casestudies.markdown import render_markdown

from .models import Delivery, Digest, Event, Group, GroupMembership, Post, Thread

THEMATIC_GROUPS = [
    (
        "Social value in procurement",
        "social-value-in-procurement",
        "purchasing",
        Group.JoinPolicy.OPEN,
        "For procurement and finance teams weighting tenders for social value, buying from "
        "local suppliers and measuring what that spend does for their area.",
    ),
    (
        "Widening access to NHS jobs",
        "widening-access-to-nhs-jobs",
        "workforce",
        Group.JoinPolicy.REQUEST,
        "For workforce and education leads running pre-employment programmes, apprenticeships "
        "and outreach to people furthest from work.",
    ),
]


def _member(group: Group, user, role=GroupMembership.Role.MEMBER) -> None:
    """Put a demo person in a group once; someone who has since left stays out."""
    if not GroupMembership.objects.filter(group=group, user=user).exists():
        GroupMembership.objects.create(
            group=group, user=user, status=GroupMembership.Status.ACTIVE, role=role
        )


def seed(stdout=None, options=None) -> None:
    coordinator, lead = demo_user("coordinator"), demo_user("lead")
    admin, member = demo_user("admin"), demo_user("member")
    groups = {}
    for name, slug, pillar_slug, policy, description in THEMATIC_GROUPS:
        group, _ = Group.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": Group.Kind.THEMATIC,
                "pillar": Pillar.objects.filter(slug=pillar_slug).first(),
                "join_policy": policy,
                "description": description,
                "created_by": coordinator,
            },
        )
        groups[slug] = group
    procurement = groups["social-value-in-procurement"]
    workforce = groups["widening-access-to-nhs-jobs"]
    _member(procurement, coordinator, GroupMembership.Role.LEAD)
    _member(procurement, admin)
    _member(procurement, member)
    _member(workforce, lead, GroupMembership.Role.LEAD)
    _member(workforce, admin)

    north_east = Group.objects.filter(region=Region.objects.filter(code="Y63").first()).first()
    if north_east is not None:
        _member(north_east, admin)
        _member(north_east, member)

    if not Thread.objects.filter(group=procurement).exists():
        now = timezone.now()
        thread = Thread.objects.create(
            group=procurement,
            author=member,
            title="How are you weighting social value in tenders?",
            created_at=now - timedelta(days=3),
            last_post_at=now - timedelta(days=1),
        )
        posts = [
            (member, 3, "We are reviewing our tender scoring. Some trusts give social value 10% of "
             "the marks, others 15%. What have you settled on, and did suppliers push back?"),
            (admin, 2, "We moved to **15%** last year. Local suppliers did better than we "
             "expected; the trick was asking for commitments we could check, such as local jobs."),
            (coordinator, 1, "East London's case study has figures on this: worth a read before "
             "you decide."),
        ]
        for author, days_ago, body in posts:
            # Posts carry their HTML rendered once, as the services store it.
            Post.objects.create(
                thread=thread, author=author, created_at=now - timedelta(days=days_ago),
                body=body, body_html=render_markdown(body),
            )
    if not Event.objects.filter(group=procurement).exists():
        start = (timezone.localtime() + timedelta(days=14)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        Event.objects.create(
            group=procurement,
            title="Measuring local spend: a practical session",
            starts_at=start,
            ends_at=start + timedelta(hours=1, minutes=30),
            online_url="https://meet.example.org/anchors-local-spend",
            description="Three trusts show how they track the share of spend with local suppliers.",
            created_by=coordinator,
        )

    _seed_digest(coordinator)
    _seed_follows(member)
    if stdout is not None:
        stdout.write(
            "Network: thematic groups, a discussion, an event, a sent digest, and the demo member's "
            "follows and saved items."
        )


def _seed_digest(coordinator) -> None:
    """A coordinator's digest that has gone out, with its report (nothing is really sent)."""
    from casestudies.models import CaseStudy

    from . import digests

    subject = "Anchors Learning Network: news for the autumn"
    if Digest.objects.filter(subject=subject).exists():
        return
    now = timezone.now()
    digest = Digest.objects.create(
        kind=Digest.Kind.COORDINATOR,
        subject=subject,
        introduction=(
            "Welcome to the network's autumn digest. Three trusts have shared how they buy "
            "locally and widen access to jobs; their case studies are below."
        ),
        status=Digest.Status.SENT,
        created_by=coordinator,
        created_at=now - timedelta(days=8),
        started_at=now - timedelta(days=7),
        finished_at=now - timedelta(days=7),
    )
    digest.case_studies.set(CaseStudy.objects.published()[:3])
    recipients = list(digests.network_people())
    Delivery.objects.bulk_create(
        [
            Delivery(
                digest=digest, recipient=person, status=Delivery.Status.SENT, attempts=1,
                sent_at=now - timedelta(days=7),
            )
            for person in recipients
        ]
    )
    # One address the mail server refused, so the report shows a failure and its reason.
    refused = User.objects.exclude(pk__in=[p.pk for p in recipients]).order_by("pk").first()
    if refused is not None:
        Delivery.objects.create(
            digest=digest,
            recipient=refused,
            status=Delivery.Status.FAILED,
            attempts=1,
            last_error="550 5.1.1 Recipient address rejected: mailbox unavailable",
        )


def _seed_follows(member) -> None:
    """The demo member follows a few organisations, pillars and a tag, and has saved a few
    case studies and resources, so the Following and Saved pages have something to show."""
    from taggit.models import Tag

    from anchors.models import Organisation
    from casestudies.models import CaseStudy, Resource

    from .models import Follow, SavedItem

    own = set(member.memberships.values_list("organisation_id", flat=True))
    publishers = (
        Organisation.objects.verified()
        .exclude(pk__in=own)
        .filter(case_studies__status=CaseStudy.Status.PUBLISHED)
        .distinct()
        .order_by("name")[:3]
    )
    things = [
        *({"organisation": organisation} for organisation in publishers),
        *({"pillar": pillar} for pillar in Pillar.objects.filter(slug__in=["purchasing", "workforce"])),
        *({"tag": tag} for tag in Tag.objects.order_by("name")[:1]),
    ]
    # Only once: what the member has since unfollowed or removed stays that way.
    if not Follow.objects.filter(user=member).exists():
        for thing in things:
            Follow.objects.get_or_create(user=member, **thing)
    if not SavedItem.objects.filter(user=member).exists():
        for case_study in CaseStudy.objects.published().order_by("-published_at", "-pk")[:2]:
            SavedItem.objects.get_or_create(user=member, case_study=case_study)
        for resource in Resource.objects.published().order_by("-published_at", "-pk")[:1]:
            SavedItem.objects.get_or_create(user=member, resource=resource)
