"""Demo events that are always ahead: the home page lists upcoming events, and an event seeded
when the database was first loaded may long be over. Each run adds any of these that has no
upcoming occurrence, dated from now, and leaves past ones as the groups' history."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

import sitecache
from accounts.demo import demo_user

from .models import Event, Group

UPCOMING = [
    # (group slug, title, days ahead, hour, minutes long, place, online link, description)
    (
        "social-value-in-procurement",
        "Social value in tenders: clinic for buyers",
        7,
        14,
        60,
        "",
        "https://meet.example.org/anchors-social-value-clinic",
        "Bring a tender you are writing; two procurement leads help you weight social value.",
    ),
    (
        "widening-access-to-nhs-jobs",
        "Pre-employment programmes: what keeps people in work",
        21,
        10,
        120,
        "Education centre, Freeman Hospital, Newcastle upon Tyne",
        "",
        "Three trusts share what happened to the people who joined their programmes a year on.",
    ),
]


def seed(stdout=None, options=None) -> None:
    coordinator = demo_user("coordinator")
    now = timezone.now()
    added = 0
    for slug, title, days, hour, minutes, place, online_url, description in UPCOMING:
        group = Group.objects.filter(slug=slug).first()
        if group is None or Event.objects.upcoming().filter(group=group, title=title).exists():
            continue
        start = (timezone.localtime(now) + timedelta(days=days)).replace(
            hour=hour, minute=0, second=0, microsecond=0
        )
        Event.objects.create(
            group=group,
            title=title,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            location=place,
            online_url=online_url,
            description=description,
            created_by=coordinator,
        )
        added += 1
    if added:
        sitecache.content_changed()
    if stdout is not None:
        stdout.write(f"Home page: {added} upcoming demo event(s) added.")
