from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from anchors.models import is_coordinator

from . import forms, services
from .ics import event_calendar
from .models import Event, Group, GroupMembership, Post, PostReport, Thread

RELATED_CASE_STUDIES = 6


def _group(slug: str) -> Group:
    return get_object_or_404(Group.objects.select_related("region", "pillar"), slug=slug)


def _members_only(request: HttpRequest, group: Group) -> None:
    """Members' parts of a group: visitors sign in first, others are refused."""
    if not services.is_group_member(request.user, group):
        raise PermissionDenied(_("Only the group's members can see this."))


def posted_id(request: HttpRequest, name: str) -> int | None:
    """A record's id from a submitted form; None when it is missing or not a number (a
    tampered form), so the view can say so instead of failing."""
    value = request.POST.get(name, "")
    # Eighteen digits stay inside a 64-bit column, whatever the database.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _form_page(request: HttpRequest, form, *, heading: str, button: str, **context) -> HttpResponse:
    """The one-form pages of a group share a layout: heading, error summary, fields, button."""
    context.update(form=form, heading=heading, button=button, nav="groups")
    return render(request, "network/form_page.html", context)


def group_list(request: HttpRequest) -> HttpResponse:
    groups = Group.objects.with_member_counts().select_related("region", "pillar")
    my_group_ids = set()
    if request.user.is_authenticated:
        my_group_ids = set(
            GroupMembership.objects.filter(
                user=request.user, status=GroupMembership.Status.ACTIVE
            ).values_list("group_id", flat=True)
        )
    return render(
        request,
        "network/group_list.html",
        {
            "regional": [g for g in groups if g.kind == Group.Kind.REGIONAL],
            "thematic": [g for g in groups if g.kind == Group.Kind.THEMATIC],
            "my_group_ids": my_group_ids,
            "may_create": is_coordinator(request.user),
            "nav": "groups",
        },
    )


def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group(slug)
    # Each role question costs a query: ask each once.
    is_lead = services.is_group_lead(request.user, group)
    membership = services.live_membership(group, request.user)
    is_member = is_lead or (
        membership is not None and membership.status == GroupMembership.Status.ACTIVE
    )
    context = {
        "group": group,
        "nav": "groups",
        "leads": services.group_leads(group),
        "membership": membership,
        "is_member": is_member,
        "is_lead": is_lead,
        "may_join": is_member or services.may_join_groups(request.user),
        "case_studies": group.relevant_case_studies().for_cards()[:RELATED_CASE_STUDIES],
        "join_form": forms.JoinRequestForm(),
    }
    if is_member:
        context["members"] = (
            GroupMembership.objects.filter(group=group, status=GroupMembership.Status.ACTIVE)
            .select_related("user")
            .order_by("user__full_name")
        )
        context["threads"] = (
            Thread.objects.filter(group=group)
            .select_related("author", "group")
            .annotate(reply_count=Count("posts") - 1)
            .order_by("-last_post_at")[:20]
        )
        context["events"] = Event.objects.filter(group=group).upcoming()[:10]
        context["pending_count"] = (
            GroupMembership.objects.filter(group=group, status=GroupMembership.Status.REQUESTED).count()
            if context["is_lead"]
            else 0
        )
        context["report_count"] = (
            PostReport.objects.open().filter(post__thread__group=group).count()
            if context["is_lead"]
            else 0
        )
    return render(request, "network/group_detail.html", context)


@login_required
def group_new(request: HttpRequest) -> HttpResponse:
    if not is_coordinator(request.user):
        raise PermissionDenied
    form = forms.GroupForm(request.POST or None, initial={"join_policy": Group.JoinPolicy.OPEN})
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(by=request.user, **form.cleaned_data)
        except services.GroupError as error:
            form.add_error("name", str(error))
        else:
            created = _("%(name)s has been created. You lead it.") % {"name": group.name}
            messages.success(request, created)
            return redirect(group)
    return _form_page(request, form, heading=_("Create a thematic group"), button=_("Create group"))


@login_required
def group_join(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group(slug)
    form = forms.JoinRequestForm(request.POST or None)
    if request.method == "POST":
        needs_reason = group.join_policy == Group.JoinPolicy.REQUEST
        if not needs_reason or form.is_valid():
            reason = form.cleaned_data.get("reason", "") if needs_reason else ""
            try:
                membership = services.group_join(group=group, user=request.user, reason=reason)
            except services.NotAllowed as error:
                raise PermissionDenied(str(error)) from error
            except services.GroupError as error:
                messages.error(request, str(error))
                return redirect(group)
            if membership.status == GroupMembership.Status.ACTIVE:
                messages.success(request, _("You have joined %(name)s.") % {"name": group.name})
            else:
                messages.success(request, _("Your request has been sent to the group's leads."))
            return redirect(group)
    if not services.may_join_groups(request.user):
        raise PermissionDenied
    return _form_page(
        request,
        form,
        group=group,
        heading=_("Ask to join this group"),
        button=_("Send request"),
        intro=_("The group's leads will read your reason and email you when they decide."),
    )


@login_required
@require_POST
def group_leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group(slug)
    try:
        services.group_leave(group=group, user=request.user)
    except services.GroupError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You have left %(name)s.") % {"name": group.name})
    return redirect(group)


@login_required
def group_requests(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group(slug)
    if not services.is_group_lead(request.user, group):
        raise PermissionDenied
    if request.method == "POST":
        membership = (
            GroupMembership.objects.filter(pk=posted_id(request, "membership"), group=group)
            .select_related("user", "group")
            .first()
        )
        if membership is None:
            messages.error(request, _("That request could not be found. Choose one from the list."))
            return redirect("network:requests", slug=group.slug)
        decision = request.POST.get("decision")
        if decision not in ("approve", "decline"):
            messages.error(request, _("Choose Approve or Decline for the request."))
            return redirect("network:requests", slug=group.slug)
        approve = decision == "approve"
        try:
            services.group_request_decide(membership=membership, by=request.user, approve=approve)
        except services.GroupError as error:
            messages.error(request, str(error))
        else:
            if approve:
                done = _("You approved %(name)s's request.")
            else:
                done = _("You declined %(name)s's request.")
            messages.success(request, done % {"name": membership.user.full_name})
        return redirect("network:requests", slug=group.slug)
    pending = (
        GroupMembership.objects.filter(group=group, status=GroupMembership.Status.REQUESTED)
        .select_related("user")
        .order_by("created_at")
    )
    return render(
        request, "network/group_requests.html", {"group": group, "pending": pending, "nav": "groups"}
    )


@login_required
def thread_new(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group(slug)
    _members_only(request, group)
    form = forms.ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_start(group=group, by=request.user, **form.cleaned_data)
        except services.GroupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your discussion has started."))
            return redirect(thread)
    return _form_page(
        request, form, group=group, heading=_("Start a discussion"), button=pgettext("button", "Post")
    )


@login_required
def thread_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _group(slug)
    _members_only(request, group)
    thread = get_object_or_404(Thread.objects.select_related("author"), pk=pk, group=group)
    form = forms.ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_reply(thread=thread, by=request.user, body=form.cleaned_data["body"])
        except services.GroupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your reply has been posted."))
            return redirect(thread)
    posts = Post.objects.filter(thread=thread).select_related("author", "hidden_by")
    return render(
        request,
        "network/thread_detail.html",
        {
            "group": group,
            "thread": thread,
            "posts": posts,
            "form": form,
            "is_lead": services.is_group_lead(request.user, group),
            "reported_ids": set(
                PostReport.objects.filter(post__thread=thread, reported_by=request.user).values_list(
                    "post_id", flat=True
                )
            ),
            "nav": "groups",
        },
    )


@login_required
def post_hide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _group(slug)
    post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=pk, thread__group=group)
    if not services.is_group_lead(request.user, group):
        raise PermissionDenied
    from_reports = request.GET.get("from") == "reports"
    form = forms.HidePostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_hide(post=post, by=request.user, reason=form.cleaned_data["reason"])
        except services.GroupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The post is hidden."))
            if from_reports:
                return redirect("network:reports", slug=group.slug)
            return redirect(post.thread)
    return render(
        request,
        "network/post_hide.html",
        {"group": group, "post": post, "form": form, "nav": "groups"},
    )


@login_required
def post_report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _group(slug)
    _members_only(request, group)
    post = get_object_or_404(
        Post.objects.select_related("thread__group", "author"), pk=pk, thread__group=group
    )
    form = forms.ReportPostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_report(post=post, by=request.user, reason=form.cleaned_data["reason"])
        except services.GroupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Thank you. The group's leads have been told and will decide what to do.")
            )
            return redirect(post.thread)
    return render(
        request, "network/post_report.html", {"group": group, "post": post, "form": form, "nav": "groups"}
    )


@login_required
def post_reports(request: HttpRequest, slug: str) -> HttpResponse:
    """The leads' queue of reported posts: hide the post, or dismiss the report."""
    group = _group(slug)
    if not services.is_group_lead(request.user, group):
        raise PermissionDenied
    if request.method == "POST":
        report = (
            PostReport.objects.filter(pk=posted_id(request, "report"), post__thread__group=group)
            .select_related("post__thread__group")
            .first()
        )
        if report is None:
            messages.error(request, _("That report could not be found. Choose one from the list."))
            return redirect("network:reports", slug=group.slug)
        try:
            services.post_report_dismiss(report=report, by=request.user)
        except services.GroupError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The report is dismissed and the post stays."))
        return redirect("network:reports", slug=group.slug)
    reports = (
        PostReport.objects.open()
        .filter(post__thread__group=group)
        .select_related("post__thread__group", "post__author", "reported_by")
        .order_by("created_at", "pk")
    )
    return render(
        request, "network/post_reports.html", {"group": group, "reports": reports, "nav": "groups"}
    )


@login_required
def event_new(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group(slug)
    if not services.is_group_lead(request.user, group):
        raise PermissionDenied
    form = forms.EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_add(group=group, by=request.user, **form.cleaned_data)
        except services.GroupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(title)s has been added.") % {"title": event.title})
            return redirect(group)
    return _form_page(request, form, group=group, heading=_("Add an event"), button=_("Add event"))


@login_required
def event_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _group(slug)
    _members_only(request, group)
    event = get_object_or_404(Event, pk=pk, group=group)
    response = HttpResponse(event_calendar(event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response

