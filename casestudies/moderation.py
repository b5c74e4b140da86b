"""The one moderation workflow shared by everything members publish through a lead: case studies
and library resources.

A moderated thing has an owning `organisation`, a `status` from ModerationStatus and the
`submitted_at` / `published_at` / `archived_at` timestamps. This module says which steps are
allowed from which state, who may moderate, records each step as a Transition (who, when, what
they said) and finds the people to email. The services of each kind of thing (services.py) call
it inside their transaction; emails are queued to leave after the commit.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anchors.models import (
    Coordinator,
    Membership,
    Organisation,
    can_moderate_region,
    is_member_of,
    region_moderator_emails,
)

from .models import ModerationStatus, Transition

Status = ModerationStatus


class WorkflowError(Exception):
    """The thing is not in a state that allows this step (for example, already decided)."""


# action: (the states it may start from, the state it leads to)
STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "submitted": ((Status.DRAFT, Status.CHANGES_REQUESTED), Status.SUBMITTED),
    "published": ((Status.SUBMITTED,), Status.PUBLISHED),
    "changes_requested": ((Status.SUBMITTED,), Status.CHANGES_REQUESTED),
    "rejected": ((Status.SUBMITTED,), Status.REJECTED),
    "archived": ((Status.PUBLISHED,), Status.ARCHIVED),
}
# The decisions a moderator takes on something submitted.
DECISIONS = ("published", "changes_requested", "rejected")
# The step that stamps a time on the moderated row.
TIMESTAMPS = {"submitted": "submitted_at", "published": "published_at", "archived": "archived_at"}


def next_status(action: str, from_status: str) -> str:
    """The state `action` leads to from `from_status`, or WorkflowError when it is not allowed."""
    sources, target = STEPS[action]
    if from_status not in sources:
        if action in DECISIONS:
            raise WorkflowError(_("This has already been decided."))
        if action == "submitted":
            raise WorkflowError(_("There is nothing to submit: it is already awaiting review or decided."))
        raise WorkflowError(_("Only something published can be archived."))
    return target


def require_comment(action: str, comment: str) -> None:
    """A moderator sending something back says why."""
    if action == "changes_requested" and not comment.strip():
        raise ValueError(_("Say what needs to change."))
    if action == "rejected" and not comment.strip():
        raise ValueError(_("Give a reason for rejecting it."))


# --- Who may moderate --------------------------------------------------------------------------


def can_moderate(user, organisation: Organisation) -> bool:
    """The regional lead of the organisation's region or a coordinator, never a member of the
    organisation itself."""
    return can_moderate_region(user, organisation.region_id) and not is_member_of(user, organisation.pk)


def require_moderator(user, organisation: Organisation) -> None:
    if not can_moderate(user, organisation):
        raise PermissionDenied(_("You cannot moderate this."))


# --- Recording ---------------------------------------------------------------------------------


def record(item: Model, *, action: str, from_status: str, to_status: str, by, comment: str = "",
           revision=None) -> Transition:
    """One Transition row for a step of a case study (or its revision) or a resource."""
    owner = {"resource": item} if item._meta.model_name == "resource" else {"case_study": item}
    return Transition.objects.create(
        **owner,
        revision=revision,
        action=action,
        from_status=from_status,
        to_status=to_status,
        by=by,
        at=timezone.now(),
        comment=comment,
    )


def move(item: Model, *, action: str, by, comment: str = "") -> str:
    """Take `item` (already locked by the caller) one step: check the step is allowed from its
    state, change the state and its timestamp, record the step. Returns the state it left."""
    from_status = item.status
    item.status = next_status(action, from_status)
    fields = ["status", "updated_at"]
    if action in TIMESTAMPS:
        setattr(item, TIMESTAMPS[action], timezone.now())
        fields.append(TIMESTAMPS[action])
    item.save(update_fields=fields)
    record(item, action=action, from_status=from_status, to_status=item.status, by=by, comment=comment)
    return from_status


def history(item: Model):
    """The steps of a case study or a resource, oldest first, with who took them."""
    owner = {"resource": item} if item._meta.model_name == "resource" else {"case_study": item}
    return Transition.objects.filter(**owner).select_related("by", "revision")


# --- Who is told -------------------------------------------------------------------------------


def moderator_emails(organisation: Organisation, *, submitted_by=None) -> list[str]:
    """Who is told that something waits for review: the region's leads, or the coordinators
    when it has none (anchors.models.region_moderator_emails). Never the person who submitted
    it, nor anyone in its organisation, who cannot moderate it anyway."""
    members = Membership.objects.active().filter(organisation=organisation).values("user_id")
    excluded = set(get_user_model().objects.filter(pk__in=members).values_list("email", flat=True))
    if submitted_by is not None:
        excluded.add(submitted_by.email)
    recipients = [e for e in region_moderator_emails(organisation.region_id) if e not in excluded]
    if recipients:
        return recipients
    # Every lead of the region is in the organisation: the coordinators moderate it instead.
    coordinators = get_user_model().objects.filter(
        Q(pk__in=Coordinator.objects.values("user_id")) | Q(is_superuser=True), is_active=True
    )
    return sorted(set(coordinators.values_list("email", flat=True)) - excluded)


def author_emails(*people) -> list[str]:
    """The addresses of the people who wrote or suggested something, while their accounts last."""
    return sorted({p.email for p in people if p is not None and p.is_active})
