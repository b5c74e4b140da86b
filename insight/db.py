"""Medians and 90th percentiles are worked out by the database inside its GROUP BY: PostgreSQL
has `percentile_cont`; SQLite (the laptop default) gets `insight_percentile`, an aggregate of
the same meaning registered on each connection (see selectors.VENDOR_SQL).
"""

from __future__ import annotations

import math


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SQLitePercentile:
    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        if value is not None:
            self.values.append(float(value))
        self.fraction = float(fraction)

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


def add_sqlite_percentile(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("insight_percentile", 2, _SQLitePercentile)
