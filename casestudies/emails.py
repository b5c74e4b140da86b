"""The emails the case study workflow sends: one small function per message."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from accounts.mail import absolute_url, queue_email
from anchors.models import Coordinator, Membership, region_moderator_emails


def _moderator_emails(case_study, *, submitted_by=None) -> list[str]:
    """Who is told that a case study waits for review: the region's leads, or the coordinators
    when it has none (anchors.models.region_moderator_emails). Never the person who submitted
    it, nor anyone in its organisation, who cannot moderate it anyway."""
    members = Membership.objects.active().filter(organisation=case_study.organisation).values("user_id")
    excluded = set(get_user_model().objects.filter(pk__in=members).values_list("email", flat=True))
    if submitted_by is not None:
        excluded.add(submitted_by.email)
    recipients = [e for e in region_moderator_emails(case_study.organisation.region_id) if e not in excluded]
    if recipients:
        return recipients
    # Every lead of the region is in the organisation: the coordinators moderate it instead.
    coordinators = get_user_model().objects.filter(
        Q(pk__in=Coordinator.objects.values("user_id")) | Q(is_superuser=True), is_active=True
    )
    return sorted(set(coordinators.values_list("email", flat=True)) - excluded)


def _author_emails(case_study, revision) -> list[str]:
    people = {case_study.created_by, revision.created_by if revision else None}
    return sorted({p.email for p in people if p is not None and p.is_active})


def submitted(*, case_study, revision, by, resubmitted: bool = False) -> None:
    """Tell the people who moderate the region that a case study (or changes to one) waits."""
    queue_email(
        to=_moderator_emails(case_study, submitted_by=by),
        template_prefix="casestudies/emails/submitted",
        context={
            "case_study": case_study,
            "is_revision": revision is not None,
            "resubmitted": resubmitted,
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
