"""Every state change of an organisation's evidence: annual figures, commitment signatures and
self-assessments. Reference data (measures, commitments, the maturity matrix) is edited by
coordinators in the admin.

Every function is keyword-only, checks who may act and from which state, and runs in a
transaction. Only an organisation's admins record, publish or sign for it. Refusals raise
`anchors.services.NotAllowed` (views answer 403) or `InvalidState` (views show the message).
A change visitors can see retires the cached pages once it commits.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anchors.models import Organisation, Pillar, is_admin_of
from anchors.services import InvalidState, NotAllowed
from anchors.services import coordinators_group as anchors_coordinators_group
from sitecache import content_changed

from . import years
from .models import (
    AnnualFigure,
    Commitment,
    CommitmentSignature,
    MaturityLevel,
    SelfAssessment,
    SelfAssessmentAnswer,
    StandardMeasure,
)
from .units import validate_value

# Reference data coordinators edit in the admin: view, add and change (never delete, so figures
# and signatures always keep their measure and commitment).
COORDINATOR_MODELS = (StandardMeasure, Commitment, MaturityLevel)


def coordinators_group() -> Group:
    """The coordinators' admin group with the evidence permissions added to the anchors ones."""
    group = anchors_coordinators_group()
    editable = [m._meta.model_name for m in COORDINATOR_MODELS]
    group.permissions.add(
        *Permission.objects.filter(
            Q(content_type__app_label="evidence", content_type__model__in=editable)
            & (Q(codename__startswith="view_") | Q(codename__startswith="change_") | Q(codename__startswith="add_"))
        )
    )
    return group


def _require_admin(organisation: Organisation, by, refusal: str) -> None:
    """`refusal` is the whole message, with %(organisation)s for the organisation's name."""
    if not is_admin_of(by, organisation.pk):
        raise NotAllowed(refusal % {"organisation": organisation.name})


def _require_verified(organisation: Organisation) -> None:
    if not organisation.is_verified:
        raise InvalidState(_("%(organisation)s must be verified first.") % {"organisation": organisation.name})


def check_year(year: int) -> None:
    """A financial year people may record for: started already, and not before the first."""
    if year > years.current():
        raise InvalidState(
            _("%(year)s has not started yet. Choose this year or an earlier one.") % {"year": years.label(year)}
        )
    if year < years.FIRST_YEAR:
        raise InvalidState(_("Choose %(year)s or later.") % {"year": years.label(years.FIRST_YEAR)})


# --- Annual figures ----------------------------------------------------------------------------


def figure_record(
    *,
    organisation: Organisation,
    measure: StandardMeasure,
    year: int,
    value: Decimal,
    note: str = "",
    source: str = "",
    by,
) -> AnnualFigure:
    """Record (or correct) the organisation's value for a measure in a year. A new figure is a
    draft; correcting a published one keeps it published, with the new value."""
    _require_admin(organisation, by, _("Only %(organisation)s's admins can record its figures."))
    _require_verified(organisation)
    if not measure.is_active:
        raise InvalidState(_("%(measure)s is no longer collected.") % {"measure": measure.display_name})
    check_year(year)
    try:
        validate_value(Decimal(value), measure.unit_kind)
    except ValidationError as error:
        raise InvalidState(error.messages[0]) from None
    with transaction.atomic():
        figure, created = AnnualFigure.objects.select_for_update().get_or_create(
            organisation=organisation,
            measure=measure,
            year=year,
            defaults={"value": value, "note": note, "source": source, "recorded_by": by},
        )
        if not created:
            figure.value, figure.note, figure.source = value, note, source
            figure.recorded_by, figure.recorded_at = by, timezone.now()
            figure.save()
            if figure.is_published:
                content_changed()
    return figure


def figure_delete(*, figure: AnnualFigure, by) -> None:
    _require_admin(figure.organisation, by, _("Only %(organisation)s's admins can remove its figures."))
    with transaction.atomic():
        deleted, _by_model = AnnualFigure.objects.filter(pk=figure.pk).delete()
        if not deleted:
            raise InvalidState(_("That figure has already been removed."))
        if figure.is_published:
            content_changed()


def figures_publish(*, organisation: Organisation, year: int, by) -> int:
    """Publish every draft figure of the organisation for that year; returns how many."""
    _require_admin(organisation, by, _("Only %(organisation)s's admins can publish its figures."))
    _require_verified(organisation)
    with transaction.atomic():
        published = AnnualFigure.objects.filter(
            organisation=organisation, year=year, status=AnnualFigure.Status.DRAFT
        ).update(status=AnnualFigure.Status.PUBLISHED, published_by=by, published_at=timezone.now())
        if not published:
            raise InvalidState(_("There are no draft figures for %(year)s to publish.") % {"year": years.label(year)})
        content_changed()
    return published


def figures_unpublish(*, organisation: Organisation, year: int, by) -> int:
    """Take the organisation's figures for a year back to draft (to correct a mistake)."""
    _require_admin(organisation, by, _("Only %(organisation)s's admins can withdraw its figures."))
    with transaction.atomic():
        withdrawn = AnnualFigure.objects.filter(
            organisation=organisation, year=year, status=AnnualFigure.Status.PUBLISHED
        ).update(status=AnnualFigure.Status.DRAFT, published_by=None, published_at=None)
        if not withdrawn:
            raise InvalidState(_("No figures for %(year)s are published.") % {"year": years.label(year)})
        content_changed()
    return withdrawn


# --- Commitments -------------------------------------------------------------------------------


def commitment_sign(*, commitment: Commitment, organisation: Organisation, by) -> CommitmentSignature:
    _require_admin(organisation, by, _("Only %(organisation)s's admins can sign commitments for it."))
    _require_verified(organisation)
    with transaction.atomic():
        if not commitment.is_open:
            raise InvalidState(_("“%(commitment)s” is not taking new signatories.") % {"commitment": commitment.title})
        if CommitmentSignature.objects.filter(commitment=commitment, organisation=organisation).exists():
            raise InvalidState(
                _("%(organisation)s has already signed “%(commitment)s”.")
                % {"organisation": organisation.name, "commitment": commitment.title}
            )
        signature = CommitmentSignature.objects.create(commitment=commitment, organisation=organisation, signed_by=by)
        content_changed()
    return signature


def commitment_withdraw(*, signature: CommitmentSignature, by) -> None:
    _require_admin(signature.organisation, by, _("Only %(organisation)s's admins can withdraw its signature."))
    with transaction.atomic():
        deleted, _by_model = CommitmentSignature.objects.filter(pk=signature.pk).delete()
        if not deleted:
            raise InvalidState(_("That signature has already been withdrawn."))
        content_changed()


# --- Self-assessment ---------------------------------------------------------------------------


def self_assessment_complete(*, organisation: Organisation, year: int, levels: dict[int, int], by) -> SelfAssessment:
    """Record the organisation's level (1 to 5) for every pillar in the matrix for a year. Once
    a year: completing it again for the same year replaces that year's answers."""
    _require_admin(organisation, by, _("Only %(organisation)s's admins can complete its self-assessment."))
    _require_verified(organisation)
    check_year(year)
    pillar_ids = set(MaturityLevel.objects.values_list("pillar_id", flat=True).distinct())
    missing = pillar_ids - set(levels)
    if missing:
        names = ", ".join(p.label for p in Pillar.objects.filter(pk__in=missing))
        raise InvalidState(_("Choose a level for every pillar: %(pillars)s.") % {"pillars": names})
    valid = set(MaturityLevel.objects.values_list("pillar_id", "level"))
    for pillar_id in pillar_ids:
        if (pillar_id, levels[pillar_id]) not in valid:
            raise InvalidState(_("Choose one of the levels shown for every pillar."))
    with transaction.atomic():
        assessment, created = SelfAssessment.objects.select_for_update().get_or_create(
            organisation=organisation, year=year, defaults={"completed_by": by}
        )
        if not created:
            assessment.completed_by, assessment.completed_at = by, timezone.now()
            assessment.save()
            assessment.answers.all().delete()
        SelfAssessmentAnswer.objects.bulk_create(
            SelfAssessmentAnswer(assessment=assessment, pillar_id=pillar_id, level=levels[pillar_id])
            for pillar_id in sorted(pillar_ids)
        )
        content_changed()
    return assessment
