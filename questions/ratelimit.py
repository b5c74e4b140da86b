"""How many questions one person may send: PER_HOUR in a clock hour and PER_DAY in a day.

Counted in the shared cache (Redis in production), so every web process sees the same count:
each attempt adds one to the person's hour counter and, if that is within the limit, to their
day counter. Adding first and comparing after is atomic in Redis, so two requests at the same
instant cannot both take the last place. Attempts refused for the hour are not counted in the
day.

While Redis cannot be reached, the limit is not dropped (which would let one account flood
contacts who are not even members) and questions are not refused for everyone either: the
count falls back to the questions this person sent in the last hour and day, which are stored
rows anyway (one query, only during an outage).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

PER_HOUR = 5
PER_DAY = 20
HOUR = 3600
DAY = 24 * HOUR


class LimitReached(Exception):
    def __init__(self, window: str):
        self.window = window  # "hour" or "day"
        super().__init__(window)


def _key(user_id: int, window: str, seconds: int) -> str:
    return f"questions:rate:{user_id}:{window}:{int(time.time()) // seconds}"


def _spend(key: str, seconds: int) -> int:
    """Add one to `key` and return the new count; ValueError when the cache cannot count."""
    cache.add(key, 0, seconds + 60)
    return cache.incr(key)


def spend(user) -> None:
    """Count one question by `user`, or raise LimitReached without counting it in the day."""
    try:
        if _spend(_key(user.pk, "hour", HOUR), HOUR) > PER_HOUR:
            raise LimitReached("hour")
        if _spend(_key(user.pk, "day", DAY), DAY) > PER_DAY:
            raise LimitReached("day")
    except ValueError:  # the cache cannot count now (Redis down): count the stored questions
        _spend_from_database(user)


def _spend_from_database(user) -> None:
    from .models import Question

    now = timezone.now()
    sent = Question.objects.filter(asker=user, asked_at__gte=now - timedelta(days=1)).values_list(
        "asked_at", flat=True
    )
    times = list(sent)
    if sum(1 for asked_at in times if asked_at >= now - timedelta(hours=1)) >= PER_HOUR:
        raise LimitReached("hour")
    if len(times) >= PER_DAY:
        raise LimitReached("day")
