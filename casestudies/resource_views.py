"""Pages of the resource library: list, detail, suggesting and editing, and moderation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from .models import Resource

NAV = {"nav": "resources"}


def _get_resource_for(user, slug: str) -> Resource:
    """The resource if this person may see it; otherwise 404, so suggestions never leak."""
    qs = Resource.objects.visible_to(user).select_related(
        "organisation", "organisation__region", "partner_organisation", "suggested_by"
    )
    return get_object_or_404(qs, slug=slug)


def resource_detail(request, slug: str):
    resource = _get_resource_for(request.user, slug)
    return render(request, "casestudies/resources/detail.html", {**NAV, "resource": resource})
