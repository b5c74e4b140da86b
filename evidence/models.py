"""Evidence the network can compare: standard measures, organisations' annual figures,
commitments they sign, and a yearly self-assessment against a maturity matrix.

Reference data (measures, commitments, maturity levels) is edited by coordinators in the admin.
Organisations' own data (figures, signatures, assessments) changes only through `services.py`.
Financial years are stored as the integer year they start in (2024 = "2024/25"); see `years.py`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anchors.models import Organisation, Pillar, active_organisation_ids

from . import years
from .units import UnitKind, format_value


def in_welsh() -> bool:
    """Whether the page being written is in Welsh."""
    return (get_language() or "").split("-")[0] == "cy"


class StandardMeasure(models.Model):
    """A measure every organisation reports the same way (a name, a definition and a unit kind),
    so figures can be compared across organisations and years. Reference data coordinators edit,
    in English and Welsh (the site's words, not a member's): pages show `display_name` and
    `display_definition`, the Welsh on a Welsh page when there is some."""

    class Better(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    name = models.CharField(max_length=200, unique=True)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    slug = models.SlugField(max_length=100, unique=True)
    definition = models.TextField(help_text=_("What to count and how, so every organisation reports it the same way."))
    definition_cy = models.TextField(_("definition in Welsh"), blank=True)
    unit_kind = models.CharField(max_length=16, choices=UnitKind.choices)
    better = models.CharField(
        _("which direction is better"), max_length=8, choices=Better.choices, default=Better.HIGHER
    )
    pillar = models.ForeignKey(Pillar, on_delete=models.PROTECT, related_name="standard_measures")
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order within its pillar."))
    is_active = models.BooleanField(
        default=True, help_text=_("Untick to stop new figures being recorded; past figures stay.")
    )

    class Meta:
        verbose_name = _("standard measure")
        verbose_name_plural = _("standard measures")
        ordering = ["pillar__position", "position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evidence:measure", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        return self.name_cy if self.name_cy and in_welsh() else self.name

    @property
    def display_definition(self) -> str:
        return self.definition_cy if self.definition_cy and in_welsh() else self.definition

    def format(self, value) -> str:
        """A value of this measure the UK way: £420,000, 61%, 1,200, 3.5 tCO2e, 1,200 m²."""
        return format_value(value, self.unit_kind)

    @property
    def higher_is_better(self) -> bool:
        return self.better == self.Better.HIGHER


class AnnualFigureQuerySet(models.QuerySet):
    def published(self) -> AnnualFigureQuerySet:
        return self.filter(status=AnnualFigure.Status.PUBLISHED)

    def visible_to(self, user) -> AnnualFigureQuerySet:
        """Published figures, plus the drafts of organisations this person is a member of.
        Nobody else sees a draft, coordinators included: it is the organisation's working copy."""
        member_of = active_organisation_ids(user)
        if not member_of:
            return self.published()
        return self.filter(Q(status=AnnualFigure.Status.PUBLISHED) | Q(organisation_id__in=member_of))


class AnnualFigure(models.Model):
    """One organisation's value for one standard measure in one financial year (April to
    March). A draft is seen by the organisation's members only; publishing makes it public."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="annual_figures")
    measure = models.ForeignKey(StandardMeasure, on_delete=models.PROTECT, related_name="figures")
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(years.FIRST_YEAR)],
        help_text=_("The calendar year the financial year starts in: 2024 for 2024/25."),
    )
    value = models.DecimalField(max_digits=16, decimal_places=2)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text=_("Where the figure comes from: a report, a link."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects = AnnualFigureQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual figure")
        verbose_name_plural = _("annual figures")
        ordering = ["measure", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "measure", "year"], name="annual_figure_one_per_year"),
            models.CheckConstraint(condition=Q(year__gte=years.FIRST_YEAR), name="annual_figure_year_not_too_early"),
        ]
        indexes = [
            models.Index(fields=["measure", "status", "year"]),
            models.Index(fields=["organisation", "status", "year"]),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.measure} {self.year_label}"

    @property
    def year_label(self) -> str:
        return years.label(self.year)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def formatted(self) -> str:
        return format_value(self.value, self.measure.unit_kind)


class CommitmentQuerySet(models.QuerySet):
    def open(self) -> CommitmentQuerySet:
        return self.filter(is_open=True)

    def annotate_signatories(self) -> CommitmentQuerySet:
        """Adds `signatories`: how many verified organisations signed."""
        return self.annotate(
            signatories=models.Count(
                "signatures", filter=Q(signatures__organisation__status=Organisation.Status.VERIFIED), distinct=True
            )
        )


class Commitment(models.Model):
    """A promise organisations sign, defined by coordinators as data: a target for one standard
    measure by a date ("at least 10% of new hires from the most deprived areas by March 2028").
    Progress is read from each signatory's published annual figures."""

    title = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    measure = models.ForeignKey(StandardMeasure, on_delete=models.PROTECT, related_name="commitments")
    target_value = models.DecimalField(max_digits=16, decimal_places=2)
    target_date = models.DateField()
    is_open = models.BooleanField(_("open to new signatories"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["target_date", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("evidence:commitment", kwargs={"slug": self.slug})

    @property
    def target_formatted(self) -> str:
        return format_value(self.target_value, self.measure.unit_kind)

    @property
    def target_year(self) -> int:
        """The financial year the target date falls in."""
        return years.year_of(self.target_date)

    def is_met_by(self, value: Decimal | None) -> bool:
        if value is None:
            return False
        if self.measure.better == StandardMeasure.Better.LOWER:
            return value <= self.target_value
        return value >= self.target_value


class CommitmentSignature(models.Model):
    """An organisation's signature on a commitment: who signed it for the organisation, and when."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="signatures")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="commitment_signatures")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commitment signature")
        verbose_name_plural = _("commitment signatures")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "organisation"], name="commitment_signed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} signed {self.commitment}"


MATURITY_LEVELS = 5


class MaturityLevel(models.Model):
    """One level (1 to 5) of the self-assessment matrix for one pillar: a short name and the
    statement an organisation at that level can make. Reference data coordinators edit, in
    English and Welsh; pages show `display_name` and `display_statement`."""

    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="maturity_levels")
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MATURITY_LEVELS)])
    name = models.CharField(max_length=60)
    name_cy = models.CharField(_("name in Welsh"), max_length=60, blank=True)
    statement = models.TextField()
    statement_cy = models.TextField(_("statement in Welsh"), blank=True)

    class Meta:
        verbose_name = _("maturity level")
        verbose_name_plural = _("maturity levels")
        ordering = ["pillar__position", "level"]
        constraints = [
            models.UniqueConstraint(fields=["pillar", "level"], name="maturity_level_once_per_pillar"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=MATURITY_LEVELS), name="maturity_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.pillar}: {self.level} {self.name}"

    @property
    def display_name(self) -> str:
        return self.name_cy if self.name_cy and in_welsh() else self.name

    @property
    def display_statement(self) -> str:
        return self.statement_cy if self.statement_cy and in_welsh() else self.statement


class SelfAssessment(models.Model):
    """An organisation's self-assessment for one financial year: one answer per pillar.
    Its admins complete it once a year (and may correct it during that year)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="self_assessments")
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(years.FIRST_YEAR)])
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["organisation", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="self_assessment_once_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} self-assessment {self.year_label}"

    @property
    def year_label(self) -> str:
        return years.label(self.year)


class SelfAssessmentAnswer(models.Model):
    """The level (1 to 5) an organisation chose for one pillar in one self-assessment. The level
    is stored as a number so a coordinator rewording the matrix never changes past answers."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="answers")
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MATURITY_LEVELS)])

    class Meta:
        verbose_name = _("self-assessment answer")
        verbose_name_plural = _("self-assessment answers")
        ordering = ["pillar__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "pillar"], name="self_assessment_answer_once_per_pillar"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=MATURITY_LEVELS), name="self_assessment_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.pillar} level {self.level}"
