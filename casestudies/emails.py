"""The emails the moderation workflow sends, for case studies and resources: one small function
per message. Who receives them is decided in casestudies.moderation."""

from __future__ import annotations

from django.urls import reverse

from accounts.mail import absolute_url, queue_email

from .moderation import author_emails, moderator_emails


def submitted(*, case_study, revision, by, resubmitted: bool = False) -> None:
    """Tell the people who moderate the region that a case study (or changes to one) waits."""
    queue_email(
        to=moderator_emails(case_study.organisation, submitted_by=by),
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
        to=author_emails(case_study.created_by, revision.created_by if revision else None),
        template_prefix=f"casestudies/emails/{action}",
        context={
            "case_study": case_study,
            "is_revision": revision is not None,
            "comment": comment,
            "url": absolute_url(case_study.get_absolute_url()),
            "history_url": absolute_url(reverse("casestudies:history", kwargs={"slug": case_study.slug})),
        },
    )


def resource_submitted(*, resource, by, resubmitted: bool = False) -> None:
    """Tell the people who moderate the region that a suggested resource waits."""
    queue_email(
        to=moderator_emails(resource.organisation, submitted_by=by),
        template_prefix="casestudies/emails/resource_submitted",
        context={
            "resource": resource,
            "resubmitted": resubmitted,
            "review_url": absolute_url(reverse("casestudies:resource_review", kwargs={"slug": resource.slug})),
        },
    )


def resource_decided(*, resource, action: str, comment: str) -> None:
    """Tell the person who suggested a resource what the moderator decided."""
    queue_email(
        to=author_emails(resource.suggested_by),
        template_prefix=f"casestudies/emails/resource_{action}",
        context={"resource": resource, "comment": comment, "url": absolute_url(resource.get_absolute_url())},
    )
