"""A person's part in the evidence app: figures they recorded or published, commitments they
signed and self-assessments they completed for their organisation.

These belong to the organisation, so they stay when the person's account is deleted; the
foreign keys (SET_NULL) take the person's name off them. Read by accounts through
settings.PERSONAL_DATA_PROVIDERS (see accounts/personal_data.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.personal_data import rows

from .models import AnnualFigure, CommitmentSignature, SelfAssessment

STAYS = [
    _(
        "annual figures, commitments and self-assessments you entered for your organisation stay "
        "with it, without your name"
    ),
]


def export(user) -> dict[str, Any]:
    return {
        "annual_figures_you_recorded_or_published": rows(
            user,
            AnnualFigure.objects.filter(Q(recorded_by=user) | Q(published_by=user)).select_related(
                "organisation", "measure"
            ),
        ),
        "commitments_you_signed": rows(
            user, CommitmentSignature.objects.filter(signed_by=user).select_related("commitment", "organisation")
        ),
        "self_assessments_you_completed": rows(
            user, SelfAssessment.objects.filter(completed_by=user).select_related("organisation")
        ),
    }
