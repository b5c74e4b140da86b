"""Demo evidence for `make run`: three years of published figures for the demo members (and a
draft for this year at Northumbria), two commitments with signatories, and self-assessments,
so the measures, commitments and self-assessment pages and every profile show something real.

Safe to run again: it creates only what is missing and leaves everything people changed alone.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.demo import demo_user
from anchors.models import Organisation

from . import reference_cy, years
from .models import (
    AnnualFigure,
    Commitment,
    CommitmentSignature,
    MaturityLevel,
    SelfAssessment,
    SelfAssessmentAnswer,
    StandardMeasure,
)
from .services import coordinators_group
from .units import UnitKind

# A typical value per measure for a large trust, and how much it grows each year (a factor).
TYPICAL = {
    "local-spend-share": (Decimal("24"), Decimal("1.08")),
    "local-spend": (Decimal("38000000"), Decimal("1.06")),
    "social-value-delivered": (Decimal("420000"), Decimal("1.25")),
    "social-value-weighting": (Decimal("10"), Decimal("1.2")),
    "real-living-wage-suppliers": (Decimal("55"), Decimal("1.12")),
    "hires-most-deprived-areas": (Decimal("310"), Decimal("1.1")),
    "hires-most-deprived-areas-share": (Decimal("8.5"), Decimal("1.09")),
    "apprenticeship-starts": (Decimal("120"), Decimal("1.15")),
    "people-supported-into-work": (Decimal("90"), Decimal("1.2")),
    "estate-community-use": (Decimal("1200"), Decimal("1.1")),
    "carbon-saved": (Decimal("850"), Decimal("1.18")),
    "carbon-footprint": (Decimal("42000"), Decimal("0.93")),
    "grants-to-voluntary-sector": (Decimal("250000"), Decimal("1.1")),
}
# Each demo member's size against the typical trust, so the comparison pages show a spread.
SCALE = {
    "RTF": Decimal("1.3"), "RBS": Decimal("0.7"), "RAL": Decimal("1.1"), "R1H": Decimal("1.6"),
    "RR8": Decimal("1.4"), "RXK": Decimal("0.9"), "7A3": Decimal("0.8"),
}
# Percentages move with effort, not size: spread them less.
SPREAD_OF_SHARES = {"RTF": 4, "RBS": -3, "RAL": 2, "R1H": 6, "RR8": 1, "RXK": 8, "7A3": -5}

COMMITMENTS = [
    {
        "slug": "hires-from-most-deprived-areas-2028",
        "title": "At least 10% of new hires from the most deprived local areas by March 2028",
        "description": "We will reach people in our most deprived neighbourhoods through outreach, "
        "pre-employment programmes and guaranteed interviews, until at least one in ten of the people "
        "we hire lives there.",
        "measure": "hires-most-deprived-areas-share",
        "target_value": Decimal("10"),
        "target_date": datetime.date(2028, 3, 31),
        "signatories": ["RTF", "R1H", "RR8", "RXK"],
    },
    {
        "slug": "real-living-wage-suppliers-2027",
        "title": "Every on-site service supplier pays the Real Living Wage by March 2027",
        "description": "Cleaning, catering, security and portering contracts on our sites will require the "
        "Real Living Wage for everyone working on them, at renewal or sooner.",
        "measure": "real-living-wage-suppliers",
        "target_value": Decimal("100"),
        "target_date": datetime.date(2027, 3, 31),
        "signatories": ["RTF", "RAL"],
    },
]

# Self-assessment levels per member, pillar order as the matrix: purchasing, workforce,
# estates, environment, partnership. The year before, each is one lower where it can be.
LEVELS = {
    "RTF": [4, 3, 2, 3, 4], "RBS": [2, 3, 4, 4, 2], "RAL": [3, 2, 2, 4, 3], "R1H": [3, 4, 2, 3, 4],
    "RR8": [2, 4, 3, 2, 3], "RXK": [4, 3, 4, 2, 3], "7A3": [2, 2, 3, 4, 4],
}


def _value(code: str, measure: StandardMeasure, year_index: int) -> Decimal:
    typical, growth = TYPICAL[measure.slug]
    value = typical * (growth**year_index)
    if measure.unit_kind == UnitKind.PERCENTAGE:
        value = min(value + SPREAD_OF_SHARES.get(code, 0), Decimal("100"))
    else:
        value *= SCALE.get(code, Decimal("1"))
    places = Decimal("1") if measure.unit_kind in (UnitKind.COUNT, UnitKind.MONEY, UnitKind.AREA) else Decimal("0.1")
    return max(value, Decimal("0")).quantize(places)


def seed(stdout=None, options=None) -> None:
    admin = demo_user("admin")
    now = timezone.now()
    coordinators_group()  # the demo coordinator edits measures, commitments and the matrix too
    reference_cy.fill(StandardMeasure, MaturityLevel)  # Welsh where blank: a coordinator's edits stay
    this_year = years.current()
    published_years = [this_year - 3, this_year - 2, this_year - 1]
    members = {o.ods_code: o for o in Organisation.objects.verified().filter(ods_code__in=SCALE)}
    measures = list(StandardMeasure.objects.filter(slug__in=TYPICAL, is_active=True))

    created_figures = 0
    for code, organisation in members.items():
        for index, year in enumerate(published_years):
            for measure in measures:
                _, created = AnnualFigure.objects.get_or_create(
                    organisation=organisation, measure=measure, year=year,
                    defaults={
                        "value": _value(code, measure, index), "status": AnnualFigure.Status.PUBLISHED,
                        "source": f"Annual report {years.label(year)}", "published_at": now,
                    },
                )
                created_figures += created
    northumbria = members.get("RTF")
    if northumbria is not None:
        for measure in measures[:3]:
            _, created = AnnualFigure.objects.get_or_create(
                organisation=northumbria, measure=measure, year=this_year,
                defaults={"value": _value("RTF", measure, 3), "note": "First half of the year only.", "recorded_by": admin},
            )
            created_figures += created

    for fields in COMMITMENTS:
        fields = dict(fields)
        signatories = fields.pop("signatories")
        measure = StandardMeasure.objects.filter(slug=fields.pop("measure")).first()
        if measure is None:
            continue
        commitment, _ = Commitment.objects.get_or_create(slug=fields["slug"], defaults={**fields, "measure": measure})
        for code in signatories:
            if code in members:
                CommitmentSignature.objects.get_or_create(
                    commitment=commitment, organisation=members[code],
                    defaults={"signed_by": admin if code == "RTF" else None},
                )

    pillars = sorted({level.pillar for level in MaturityLevel.objects.select_related("pillar")}, key=lambda p: p.position)
    for code, organisation in members.items():
        for year, lower in ((this_year - 2, 1), (this_year - 1, 0)):
            assessment, created = SelfAssessment.objects.get_or_create(
                organisation=organisation, year=year, defaults={"completed_by": admin if code == "RTF" else None}
            )
            if created:
                SelfAssessmentAnswer.objects.bulk_create(
                    SelfAssessmentAnswer(assessment=assessment, pillar=pillar, level=max(1, level - lower))
                    for pillar, level in zip(pillars, LEVELS[code], strict=False)
                )

    if stdout is not None:
        stdout.write(
            f"Evidence: {created_figures} demo figures added; {Commitment.objects.count()} commitments; "
            f"{SelfAssessment.objects.count()} self-assessments."
        )
