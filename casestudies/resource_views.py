"""Pages of the resource library: list, detail, suggesting and editing, and moderation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anchors.models import Organisation, active_organisation_ids
from sitecache import cached_for_visitors

from . import moderation, services
from .forms import DecisionForm
from .models import Resource
from .resource_forms import KindFilterForm, ResourceForm, initial_from_resource

NAV = {"nav": "resources"}
PAGE_SIZE = 20


def _get_resource_for(user, slug: str, *, with_labels: bool = False) -> Resource:
    """The resource if this person may see it; otherwise 404, so suggestions never leak."""
    qs = Resource.objects.visible_to(user).select_related(
        "organisation", "organisation__region", "partner_organisation", "suggested_by"
    )
    if with_labels:
        qs = qs.prefetch_related("pillars", "tags")
    return get_object_or_404(qs, slug=slug)


# --- The library -------------------------------------------------------------------------------


@cached_for_visitors
def resource_list(request):
    """Published resources, newest first, optionally of one kind."""
    form = KindFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    resources = Resource.objects.published().for_cards().order_by("-published_at", "-pk")
    if kind:
        resources = resources.filter(kind=kind)
    page = Paginator(resources, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "casestudies/resources/list.html", {
        **NAV,
        "form": form,
        "kind": kind,
        "kind_label": Resource.Kind(kind).label if kind else "",
        "page_obj": page,
        "resources": page.object_list,
        "can_suggest": request.user.is_authenticated and bool(active_organisation_ids(request.user)),
    })


@cached_for_visitors
def resource_detail(request, slug: str):
    resource = _get_resource_for(request.user, slug, with_labels=True)
    is_author = services.can_author_resource(request.user, resource)
    can_moderate = services.can_moderate_resource(request.user, resource)
    return render(request, "casestudies/resources/detail.html", {
        **NAV,
        "resource": resource,
        "is_author": is_author,
        "can_moderate": can_moderate,
        "can_edit": services.can_edit_resource(request.user, resource),
        "transitions": moderation.history(resource) if is_author or can_moderate else [],
    })


def resource_file(request, slug: str):
    """Serve an uploaded resource so it can never run as the site: the type we detected (never
    the name's), nosniff, a sandboxing CSP, and a download for anything that is not an image."""
    resource = _get_resource_for(request.user, slug)
    if not resource.file:
        raise Http404
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        content_type=resource.content_type,
        as_attachment=not resource.content_type.startswith("image/"),
        filename=f"{resource.slug}.{resource.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Suggesting and editing --------------------------------------------------------------------


@login_required
def resource_suggest(request):
    organisations = Organisation.objects.verified().filter(pk__in=active_organisation_ids(request.user))
    if not organisations.exists():
        raise PermissionDenied
    form = ResourceForm(request.POST or None, request.FILES or None, organisations=organisations,
                        initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        resource = services.resource_suggest(
            organisation=form.cleaned_data["organisation"], by=request.user, content=form.content(),
            upload=form.cleaned_data["file"],
        )
        messages.success(request, _("Thank you. Your suggestion has gone to a regional lead for review."))
        return redirect(resource)
    return render(request, "casestudies/resources/edit.html", {**NAV, "form": form, "creating": True},
                  status=400 if form.is_bound else 200)


@login_required
def resource_edit(request, slug: str):
    resource = _get_resource_for(request.user, slug)
    if not services.can_edit_resource(request.user, resource):
        raise PermissionDenied
    form = ResourceForm(request.POST or None, request.FILES or None, resource=resource,
                        initial=initial_from_resource(resource))
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_edit(resource=resource, by=request.user, content=form.content(),
                                   upload=form.cleaned_data["file"])
        except services.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Resource saved."))
        return redirect(resource)
    return render(request, "casestudies/resources/edit.html", {**NAV, "form": form, "resource": resource},
                  status=400 if form.is_bound else 200)


@login_required
@require_POST
def resource_submit(request, slug: str):
    resource = _get_resource_for(request.user, slug)
    if not services.can_author_resource(request.user, resource):
        raise PermissionDenied
    try:
        services.resource_submit(resource=resource, by=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Submitted for review. We will email you when a decision is made."))
    return redirect(resource)


@login_required
@require_POST
def resource_archive(request, slug: str):
    resource = _get_resource_for(request.user, slug)
    try:
        services.resource_archive(resource=resource, by=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Archived. It no longer appears in the library."))
    return redirect(resource)


@login_required
def my_resources(request):
    """The resources this person suggested, and their organisations' other suggestions."""
    resources = (
        Resource.objects.filter(Q(suggested_by=request.user) | Q(organisation_id__in=active_organisation_ids(request.user)))
        .select_related("organisation")
        .order_by("-updated_at", "-pk")
    )
    return render(request, "casestudies/resources/mine.html", {
        **NAV, "resources": resources, "can_suggest": bool(active_organisation_ids(request.user)),
    })


# --- Moderation --------------------------------------------------------------------------------


@login_required
def resource_review(request, slug: str):
    resource = _get_resource_for(request.user, slug)
    if not services.can_moderate_resource(request.user, resource):
        raise PermissionDenied
    waiting = resource.status == Resource.Status.SUBMITTED
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not waiting:
            messages.error(request, _("This resource has already been decided."))
            return redirect("casestudies:resource_review", slug=slug)
        if form.is_valid():
            decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
            try:
                if decision == "publish":
                    services.resource_publish(resource=resource, by=request.user, comment=comment)
                    messages.success(request, _("Published “%(title)s”.") % {"title": resource.title})
                elif decision == "request_changes":
                    services.resource_request_changes(resource=resource, by=request.user, comment=comment)
                    messages.success(request, _("Asked for changes to “%(title)s”.") % {"title": resource.title})
                else:
                    services.resource_reject(resource=resource, by=request.user, reason=comment)
                    messages.success(request, _("Rejected “%(title)s”.") % {"title": resource.title})
            except services.WorkflowError as error:
                messages.error(request, str(error))
                return redirect("casestudies:resource_review", slug=slug)
            return redirect("casestudies:queue")
    resource = _get_resource_for(request.user, slug, with_labels=True)
    return render(request, "casestudies/resources/review.html", {
        **NAV, "resource": resource, "form": form, "decided": not waiting,
        "transitions": moderation.history(resource),
    }, status=400 if form.is_bound and form.errors else 200)
