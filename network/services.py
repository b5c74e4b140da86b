"""Learning groups: joining, leading, discussing and events.

Every change of state is one of these functions. Each checks who may do it and from which
state, runs in a transaction and queues its emails for after the commit. The digest services
live in `network.digest_services`; this module re-exports them.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from anchors.models import Membership, Organisation, Pillar, is_coordinator, lead_region_ids
from anchors.services import AnchorsError, InvalidState, NotAllowed
from casestudies.markdown import markdown_problem, render_markdown
from sitecache import content_changed

from . import emails
from .digest_services import (  # noqa: F401 (every digest state change, re-exported for views)
    digest_create,
    digest_edit,
    digest_personal_run,
    digest_preferences_update,
    digest_retry,
    digest_schedule,
    digest_schedule_cancel,
    digest_send_now,
    digest_send_test,
    digest_unsubscribe,
)
from .follow_services import (  # noqa: F401 (following and saving, re-exported for views)
    follow_add,
    follow_choices_update,
    follow_remove,
    item_save,
    item_unsave,
)
from .models import POST_MAX_LENGTH, Event, Group, GroupMembership, Post, PostReport, Thread

# One vocabulary of refusals for every app: views turn NotAllowed into 403 and InvalidState
# into a message. GroupError is the older name of the base class here.
GroupError = AnchorsError


# --- Questions about a person and a group --------------------------------------------------------


def may_join_groups(user) -> bool:
    """Members of a verified organisation take part in groups, as do leads and coordinators."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_coordinator(user) or lead_region_ids(user):
        return True
    return Membership.objects.active().filter(
        user=user, organisation__status=Organisation.Status.VERIFIED
    ).exists()


def live_membership(group: Group, user) -> GroupMembership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        GroupMembership.objects.filter(
            group=group,
            user=user,
            status__in=[GroupMembership.Status.REQUESTED, GroupMembership.Status.ACTIVE],
        )
        .order_by("-created_at")
        .first()
    )


def is_group_lead(user, group: Group) -> bool:
    """A lead appointed to the group, the regional lead of a regional group, or a coordinator."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_coordinator(user):
        return True
    if group.region_id and group.region_id in lead_region_ids(user):
        return True
    return GroupMembership.objects.filter(
        group=group,
        user=user,
        role=GroupMembership.Role.LEAD,
        status=GroupMembership.Status.ACTIVE,
    ).exists()


def is_group_member(user, group: Group) -> bool:
    """Who sees the members, the discussion and the events: members and leads."""
    if is_group_lead(user, group):
        return True
    membership = live_membership(group, user)
    return membership is not None and membership.status == GroupMembership.Status.ACTIVE


def group_leads(group: Group) -> list[User]:
    """Everyone who leads the group: appointed leads and the region's regional leads."""
    condition = Q(
        group_memberships__group=group,
        group_memberships__role=GroupMembership.Role.LEAD,
        group_memberships__status=GroupMembership.Status.ACTIVE,
    )
    if group.region_id:
        condition |= Q(lead_appointments__region_id=group.region_id)
    return list(User.objects.filter(condition).distinct().order_by("full_name"))


def group_moderators(group: Group) -> list[User]:
    """Who hears about reported posts: the group's leads, or the coordinators when it has
    none, so a report never waits unseen."""
    leads = [lead for lead in group_leads(group) if lead.is_active]
    if leads:
        return leads
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(coordinator__isnull=False) | Q(is_superuser=True))
        .distinct()
        .order_by("full_name")
    )


# --- Groups --------------------------------------------------------------------------------------


def group_create(
    *,
    by: User,
    name: str,
    description: str,
    join_policy: str,
    pillar: Pillar | None = None,
) -> Group:
    """Coordinators create thematic groups; the creator leads it until they appoint others."""
    if not is_coordinator(by):
        raise NotAllowed(_("Only network coordinators can create learning groups."))
    base = slugify(name)[:140] or "group"
    slug, n = base, 2
    while Group.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    with transaction.atomic():
        try:
            group = Group.objects.create(
                name=name.strip(),
                slug=slug,
                description=description.strip(),
                kind=Group.Kind.THEMATIC,
                pillar=pillar,
                join_policy=join_policy,
                created_by=by,
            )
        except IntegrityError as exc:
            raise InvalidState(_("A group with that name already exists.")) from exc
        GroupMembership.objects.create(
            group=group, user=by, role=GroupMembership.Role.LEAD, status=GroupMembership.Status.ACTIVE
        )
    return group


def group_join(*, group: Group, user: User, reason: str = "") -> GroupMembership:
    """Join an open group at once, or ask to join one that needs a lead's approval."""
    if not may_join_groups(user):
        raise NotAllowed(
            _("Learning groups are for members of a verified organisation. Ask to join your "
            "organisation first.")
        )
    with transaction.atomic():
        existing = live_membership(group, user)
        if existing is not None:
            if existing.status == GroupMembership.Status.ACTIVE:
                raise InvalidState(_("You are already a member of this group."))
            raise InvalidState(_("You have already asked to join this group."))
        if group.join_policy == Group.JoinPolicy.OPEN:
            return GroupMembership.objects.create(
                group=group, user=user, status=GroupMembership.Status.ACTIVE
            )
        reason = reason.strip()
        if not reason:
            raise InvalidState(_("Tell the group's leads why you would like to join."))
        membership = GroupMembership.objects.create(
            group=group, user=user, status=GroupMembership.Status.REQUESTED, reason=reason
        )
        emails.join_requested(membership=membership, leads=group_leads(group))
    return membership


def group_request_decide(*, membership: GroupMembership, by: User, approve: bool) -> GroupMembership:
    """A lead approves or declines a request to join; the person is emailed either way."""
    if not is_group_lead(by, membership.group):
        raise NotAllowed(_("Only the group's leads decide who joins."))
    with transaction.atomic():
        membership = GroupMembership.objects.select_for_update().get(pk=membership.pk)
        if membership.status != GroupMembership.Status.REQUESTED:
            raise InvalidState(_("This request has already been decided."))
        membership.status = (
            GroupMembership.Status.ACTIVE if approve else GroupMembership.Status.DECLINED
        )
        membership.decided_by = by
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "decided_by", "decided_at"])
        emails.join_decided(membership=membership)
    return membership


def group_leave(*, group: Group, user: User) -> None:
    """Members leave at will (and a request can be withdrawn the same way)."""
    with transaction.atomic():
        membership = live_membership(group, user)
        if membership is None:
            raise InvalidState(_("You are not a member of this group."))
        membership.status = GroupMembership.Status.LEFT
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "decided_at"])


def group_lead_appoint(*, group: Group, user: User, by: User) -> GroupMembership:
    """Coordinators appoint a group's leads (owning a group is separate from being a member)."""
    if not is_coordinator(by):
        raise NotAllowed(_("Only network coordinators appoint group leads."))
    with transaction.atomic():
        membership = live_membership(group, user)
        if membership is None:
            membership = GroupMembership(group=group, user=user)
        membership.role = GroupMembership.Role.LEAD
        membership.status = GroupMembership.Status.ACTIVE
        membership.decided_by = by
        membership.decided_at = timezone.now()
        membership.save()
    return membership


# --- Discussion ----------------------------------------------------------------------------------


def _check_post_body(body: str) -> None:
    problem = markdown_problem(body, max_length=POST_MAX_LENGTH)
    if problem:
        raise InvalidState(problem)


def thread_start(
    *, group: Group, by: User, title: str, body: str, email_author_on_reply: bool = True
) -> Thread:
    if not is_group_member(by, group):
        raise NotAllowed(_("Only the group's members can start a discussion."))
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise InvalidState(_("A discussion needs a title and a first message."))
    _check_post_body(body)
    now = timezone.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            group=group,
            author=by,
            title=title,
            email_author_on_reply=email_author_on_reply,
            created_at=now,
            last_post_at=now,
        )
        Post.objects.create(
            thread=thread, author=by, body=body, body_html=render_markdown(body), created_at=now
        )
    return thread


def post_reply(*, thread: Thread, by: User, body: str) -> Post:
    """Reply in a thread; its author is emailed if they asked to be."""
    if not is_group_member(by, thread.group):
        raise NotAllowed(_("Only the group's members can reply."))
    body = body.strip()
    if not body:
        raise InvalidState(_("Write a reply before posting it."))
    _check_post_body(body)
    now = timezone.now()
    with transaction.atomic():
        post = Post.objects.create(
            thread=thread, author=by, body=body, body_html=render_markdown(body), created_at=now
        )
        Thread.objects.filter(pk=thread.pk).update(last_post_at=now)
        author = thread.author
        if (
            thread.email_author_on_reply
            and author is not None
            and author.pk != by.pk
            and is_group_member(author, thread.group)
        ):
            emails.reply_posted(post=post, to=author)
    return post


def post_hide(*, post: Post, by: User, reason: str) -> Post:
    """Leads hide a post, saying why; the text stays in the database for the record. Reports
    waiting on the post are settled by it."""
    if not is_group_lead(by, post.thread.group):
        raise NotAllowed(_("Only the group's leads can hide posts."))
    reason = reason.strip()
    if not reason:
        raise InvalidState(_("Give a reason for hiding the post."))
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.hidden_at is not None:
            raise InvalidState(_("This post is already hidden."))
        post.hidden_at = timezone.now()
        post.hidden_by = by
        post.hidden_reason = reason
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        PostReport.objects.open().filter(post=post).update(
            status=PostReport.Status.HIDDEN, decided_by=by, decided_at=post.hidden_at
        )
    return post


def post_report(*, post: Post, by: User, reason: str) -> PostReport:
    """A member reports a post to the group's leads, saying why; the leads are emailed."""
    group = post.thread.group
    if not is_group_member(by, group):
        raise NotAllowed(_("Only the group's members can report posts."))
    reason = reason.strip()
    if not reason:
        raise InvalidState(_("Tell the group's leads what is wrong with the post."))
    if post.author_id == by.pk:
        raise InvalidState(_("You cannot report your own post."))
    if post.hidden_at is not None:
        raise InvalidState(_("This post has already been hidden by a group lead."))
    with transaction.atomic():
        if PostReport.objects.filter(post=post, reported_by=by).exists():
            raise InvalidState(_("You have already reported this post."))
        try:
            with transaction.atomic():
                report = PostReport.objects.create(post=post, reported_by=by, reason=reason)
        except IntegrityError as exc:  # two clicks at once
            raise InvalidState(_("You have already reported this post.")) from exc
        emails.post_reported(report=report, to=group_moderators(group))
    return report


def post_report_dismiss(*, report: PostReport, by: User) -> PostReport:
    """A lead decides a reported post can stay; the report leaves the queue."""
    if not is_group_lead(by, report.post.thread.group):
        raise NotAllowed(_("Only the group's leads can decide on reported posts."))
    with transaction.atomic():
        report = PostReport.objects.select_for_update().get(pk=report.pk)
        if report.status != PostReport.Status.OPEN:
            raise InvalidState(_("This report has already been dealt with."))
        report.status = PostReport.Status.DISMISSED
        report.decided_by = by
        report.decided_at = timezone.now()
        report.save(update_fields=["status", "decided_by", "decided_at"])
    return report


# --- Events --------------------------------------------------------------------------------------


def event_add(
    *,
    group: Group,
    by: User,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    online_url: str = "",
    description: str = "",
) -> Event:
    if not is_group_lead(by, group):
        raise NotAllowed(_("Only the group's leads can add events."))
    if ends_at < starts_at:
        raise InvalidState(_("The event must end after it starts."))
    if not location.strip() and not online_url.strip():
        raise InvalidState(_("Give a place or an online link for the event."))
    with transaction.atomic():
        content_changed()  # the home page lists upcoming events
        return Event.objects.create(
            group=group,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            location=location.strip(),
            online_url=online_url.strip(),
            description=description.strip(),
            created_by=by,
        )

