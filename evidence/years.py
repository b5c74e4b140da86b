"""Financial years, April to March, named by the calendar year they start in: 2024 is "2024/25".

One integer is stored (the starting year), so years sort and compare as numbers; the label is
only how people read it.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

# The first year anyone may record: the network's measures mean little before it.
FIRST_YEAR = 2015


def label(year: int) -> str:
    """2024 -> "2024/25"."""
    return f"{year}/{(year + 1) % 100:02d}"


def year_of(day: datetime.date) -> int:
    """The financial year a day falls in: 31 March 2025 is in 2024/25, 1 April 2025 in 2025/26."""
    return day.year if day.month >= 4 else day.year - 1


def current() -> int:
    return year_of(timezone.localdate())


def choices(*, newest: int | None = None, oldest: int = FIRST_YEAR) -> list[tuple[int, str]]:
    """Years people may choose, newest first; never a year that has not started."""
    newest = current() if newest is None else newest
    return [(year, label(year)) for year in range(newest, oldest - 1, -1)]


def parse(text: str) -> int | None:
    """ "2024/25", "2024-25", "2024/2025" or "2024" -> 2024; anything else -> None."""
    text = (text or "").strip().replace("-", "/")
    first, _, second = text.partition("/")
    if not first.isdigit() or len(first) != 4:
        return None
    year = int(first)
    if second:
        if not second.isdigit() or len(second) not in (2, 4):
            return None
        if int(second) % 100 != (year + 1) % 100:
            return None
    return year
