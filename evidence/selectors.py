"""Reads that pages share: comparisons of a measure across organisations, an organisation's
trend, commitment progress and the spread of self-assessment levels. Each runs a fixed number
of queries whatever the number of rows."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from anchors.models import Organisation, Pillar, Region

from . import years
from .models import (
    MATURITY_LEVELS,
    AnnualFigure,
    Commitment,
    CommitmentSignature,
    MaturityLevel,
    SelfAssessment,
    SelfAssessmentAnswer,
    StandardMeasure,
)

# A region's spread of self-assessment levels is shown only when at least this many of its
# organisations answered, so no single organisation's answer can be picked out.
MIN_ORGANISATIONS_FOR_SPREAD = 5


@dataclass
class Summary:
    """Median and quartiles of a set of values (None when there are none)."""

    count: int
    median: Decimal | None = None
    lower_quartile: Decimal | None = None
    upper_quartile: Decimal | None = None


def summarise(values: list[Decimal]) -> Summary:
    if not values:
        return Summary(count=0)
    if len(values) == 1:
        return Summary(count=1, median=values[0], lower_quartile=values[0], upper_quartile=values[0])
    lower, median, upper = statistics.quantiles(values, n=4, method="inclusive")
    return Summary(
        count=len(values),
        median=Decimal(median).quantize(Decimal("0.01")),
        lower_quartile=Decimal(lower).quantize(Decimal("0.01")),
        upper_quartile=Decimal(upper).quantize(Decimal("0.01")),
    )


def public_figures():
    """Published figures of verified organisations: what anyone may see."""
    return AnnualFigure.objects.published().filter(organisation__status=Organisation.Status.VERIFIED)


def measures_for_catalogue():
    """Every active measure with its pillar and how many organisations published a figure."""
    return (
        StandardMeasure.objects.filter(is_active=True)
        .select_related("pillar")
        .annotate(
            organisations=Count(
                "figures__organisation",
                filter=Q(figures__status=AnnualFigure.Status.PUBLISHED, figures__organisation__status=Organisation.Status.VERIFIED),
                distinct=True,
            )
        )
        .order_by("pillar__position", "position", "name")  # an aggregate drops Meta.ordering
    )


def measure_years(measure: StandardMeasure) -> list[int]:
    """Years with published figures for this measure, newest first."""
    return list(public_figures().filter(measure=measure).order_by("-year").values_list("year", flat=True).distinct())


def measure_comparison(*, measure: StandardMeasure, year: int, regions=(), types=()):
    """The published figures for a measure in a year, best first, filtered by region and
    organisation type; the queryset (for paging) and the summary of every value in it."""
    figures = public_figures().filter(measure=measure, year=year)
    if regions:
        figures = figures.filter(organisation__region__in=regions)
    if types:
        figures = figures.filter(organisation__type__in=types)
    summary = summarise(sorted(figures.values_list("value", flat=True)))
    order = "-value" if measure.higher_is_better else "value"
    rows = figures.select_related("organisation__region").order_by(order, "organisation__name", "pk")
    return rows, summary


@dataclass
class MeasureTrend:
    measure: StandardMeasure
    by_year: dict[int, AnnualFigure] = field(default_factory=dict)

    def cells(self, columns: list[int]) -> list[AnnualFigure | None]:
        return [self.by_year.get(year) for year in columns]


def organisation_trends(organisation: Organisation) -> tuple[list[int], list[MeasureTrend]]:
    """The organisation's published figures as one row per measure and one column per year
    (oldest first). One query."""
    figures = (
        AnnualFigure.objects.published()
        .filter(organisation=organisation)
        .select_related("measure__pillar")
        .order_by("measure__pillar__position", "measure__position", "measure__name", "year")
    )
    trends: dict[int, MeasureTrend] = {}
    columns: set[int] = set()
    for figure in figures:
        trend = trends.setdefault(figure.measure_id, MeasureTrend(measure=figure.measure))
        trend.by_year[figure.year] = figure
        columns.add(figure.year)
    return sorted(columns), list(trends.values())


@dataclass
class Progress:
    """A signatory's progress towards a commitment, from its latest published figure."""

    signature: CommitmentSignature
    commitment: Commitment
    figure: AnnualFigure | None

    @property
    def met(self) -> bool:
        return self.figure is not None and self.commitment.is_met_by(self.figure.value)

    @property
    def status(self) -> str:
        if self.figure is None:
            return _("No published figures yet")
        return _("Target met") if self.met else _("Not yet met")


def _latest_figures(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], AnnualFigure]:
    """The latest published figure for each (organisation id, measure id). One query."""
    if not pairs:
        return {}
    organisation_ids = {o for o, _ in pairs}
    measure_ids = {m for _, m in pairs}
    latest: dict[tuple[int, int], AnnualFigure] = {}
    figures = (
        AnnualFigure.objects.published()
        .filter(organisation_id__in=organisation_ids, measure_id__in=measure_ids)
        .order_by("year")
        .only("id", "organisation_id", "measure_id", "year", "value", "status")
    )
    for figure in figures:
        key = (figure.organisation_id, figure.measure_id)
        if key in pairs:
            latest[key] = figure  # ordered by year, so the last one wins
    return latest


def commitment_signatories(commitment: Commitment, signatures) -> list[Progress]:
    """Progress for the given signatures of one commitment (a page of them). One query."""
    signatures = list(signatures)
    latest = _latest_figures({(s.organisation_id, commitment.measure_id) for s in signatures})
    return [Progress(s, commitment, latest.get((s.organisation_id, commitment.measure_id))) for s in signatures]


def organisation_commitments(organisation: Organisation) -> list[Progress]:
    """The commitments the organisation signed, with its progress on each. Two queries."""
    signatures = list(
        CommitmentSignature.objects.filter(organisation=organisation)
        .select_related("commitment__measure", "organisation")
        .order_by("commitment__target_date", "commitment__title")
    )
    latest = _latest_figures({(organisation.pk, s.commitment.measure_id) for s in signatures})
    return [Progress(s, s.commitment, latest.get((organisation.pk, s.commitment.measure_id))) for s in signatures]


def organisation_assessments(organisation: Organisation) -> tuple[list[Pillar], list[tuple[SelfAssessment, list]]]:
    """The organisation's self-assessments, oldest first, each with its level per pillar (in
    the order of the pillars returned). Three queries."""
    assessments = list(
        SelfAssessment.objects.filter(organisation=organisation).order_by("year").prefetch_related("answers")
    )
    if not assessments:
        return [], []
    pillars = list(Pillar.objects.filter(pk__in=MaturityLevel.objects.values("pillar_id")).order_by("position", "name"))
    rows = []
    for assessment in assessments:
        levels = {answer.pillar_id: answer.level for answer in assessment.answers.all()}
        rows.append((assessment, [levels.get(p.pk) for p in pillars]))
    return pillars, rows


def assessment_years() -> list[int]:
    return list(SelfAssessment.objects.order_by("-year").values_list("year", flat=True).distinct())


@dataclass
class RegionSpread:
    region: Region
    answered: int
    # pillar -> counts of organisations at levels 1..5; empty when hidden.
    counts: dict[int, list[int]]

    @property
    def shown(self) -> bool:
        return self.answered >= MIN_ORGANISATIONS_FOR_SPREAD


def regional_spread(year: int) -> tuple[list[Pillar], list[RegionSpread]]:
    """For each region, how many organisations placed themselves at each level of each pillar
    in a year. Regions where fewer than five organisations answered show no counts. Four
    queries whatever the number of organisations."""
    pillars = list(Pillar.objects.filter(pk__in=MaturityLevel.objects.values("pillar_id")).order_by("position", "name"))
    answered = dict(
        SelfAssessment.objects.filter(year=year, organisation__status=Organisation.Status.VERIFIED)
        .values("organisation__region")
        .annotate(n=Count("organisation", distinct=True))
        .values_list("organisation__region", "n")
    )
    counts: dict[int, dict[int, list[int]]] = defaultdict(lambda: {p.pk: [0] * MATURITY_LEVELS for p in pillars})
    rows = (
        SelfAssessmentAnswer.objects.filter(
            assessment__year=year, assessment__organisation__status=Organisation.Status.VERIFIED
        )
        .values("assessment__organisation__region", "pillar", "level")
        .annotate(n=Count("id"))
        .values_list("assessment__organisation__region", "pillar", "level", "n")
    )
    for region_id, pillar_id, level, n in rows:
        if answered.get(region_id, 0) >= MIN_ORGANISATIONS_FOR_SPREAD and pillar_id in counts[region_id]:
            counts[region_id][pillar_id][level - 1] = n
    spread = []
    for region in Region.objects.order_by("name"):
        n = answered.get(region.pk, 0)
        shown = n >= MIN_ORGANISATIONS_FOR_SPREAD
        spread.append(RegionSpread(region=region, answered=n, counts=dict(counts[region.pk]) if shown else {}))
    return pillars, spread


def year_label(year: int) -> str:
    return years.label(year)
