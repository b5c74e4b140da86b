"""The emails the case study workflow sends: one small function per message."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from accounts.mail import absolute_url, queue_email
from anchors.models import Coordinator, Membership, RegionalLead


def _moderator_emails(case_study) -> list[str]:
    """The organisation's regional leads, or the coordinators when its region has none; never
    a member of the organisation itself."""
    members = Membership.objects.active().filter(organisation=case_study.organisation).values("user_id")
    leads = list(
        RegionalLead.objects.filter(region_id=case_study.organisation.region_id)
        .exclude(user_id__in=members)
        .values_list("user__email", flat=True)
    )
    if leads:
        return sorted(set(leads))
    coordinators = get_user_model().objects.filter(
        Q(pk__in=Coordinator.objects.values("user_id")) | Q(is_superuser=True), is_active=True
    ).exclude(pk__in=members)
    return sorted(set(coordinators.values_list("email", flat=True)))


def _author_emails(case_study, revision) -> list[str]:
    people = {case_study.created_by, revision.created_by if revision else None}
    return sorted({p.email for p in people if p is not None and p.is_active})


def submitted(*, case_study, revision) -> None:
    queue_email(
        to=_moderator_emails(case_study),
        template_prefix="casestudies/emails/submitted",
        context={
            "case_study": case_study,
            "is_revision": revision is not None,
            "review_url": absolute_url(reverse("casestudies:review", kwargs={"slug": case_study.slug})),
        },
    )


def decided(*, case_study, revision, action: str, comment: str) -> None:
    queue_email(
        to=_author_emails(case_study, revision),
        template_prefix=f"casestudies/emails/{action}",
        context={
            "case_study": case_study,
            "is_revision": revision is not None,
            "comment": comment,
            "url": absolute_url(case_study.get_absolute_url()),
            "history_url": absolute_url(reverse("casestudies:history", kwargs={"slug": case_study.slug})),
        },
    )
