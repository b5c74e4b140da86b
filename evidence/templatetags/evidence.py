from __future__ import annotations

from django import template

from anchors.models import is_admin_of, is_member_of

from .. import selectors, years
from ..units import format_free_text, format_value

register = template.Library()


@register.filter
def measure_value(value, unit_kind: str) -> str:
    """A standard measure's value the UK way: £420,000, 61%, 1,200, 3.5 tCO2e, 1,200 m²."""
    return format_value(value, unit_kind)


@register.filter
def free_text_value(value, unit: str = "") -> str:
    """A value with a free-text unit, formatted the same way as a standard measure's."""
    return format_free_text(value, unit)


@register.filter
def pillar_counts(counts: dict, pillar_id: int) -> list[int]:
    return counts.get(pillar_id, [])


@register.inclusion_tag("evidence/_organisation_evidence.html", takes_context=True)
def organisation_evidence(context, organisation):
    """The evidence section of an organisation's profile: published figures over the years,
    signed commitments with progress, and self-assessment levels over the years."""
    user = context.get("user")
    columns, trends = selectors.organisation_trends(organisation)
    pillars, assessments = selectors.organisation_assessments(organisation)
    member = user is not None and is_member_of(user, organisation.pk)
    return {
        "organisation": organisation,
        "columns": columns,
        "trends": trends,
        "commitments": selectors.organisation_commitments(organisation),
        "assessment_pillars": pillars,
        "assessments": assessments,
        "is_member": member,
        "is_admin": member and is_admin_of(user, organisation.pk),
    }


@register.filter
def financial_year(year: int) -> str:
    """2024 -> "2024/25"."""
    return years.label(int(year))


@register.filter
def trend_cells(trend, columns: list[int]):
    return trend.cells(columns)


@register.filter
def pairs(headings, values) -> list[tuple]:
    """Each value beside its column's heading, for tables that label every cell on a phone."""
    return list(zip(headings, values, strict=True))
