"""Following and saving: the Following and Saved pages, and the Follow and Save buttons.

Each button is a form that posts here and works without JavaScript (a redirect back, with a
message); with it, `static/src/follow.mjs` posts the same form with an X-Requested-With header
and this answers JSON, so the page flips the button without reloading.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from taggit.models import Tag

from anchors.models import Organisation, Pillar, Region
from casestudies.models import CaseStudy, Resource

from . import forms, services
from .models import Follow
from .selectors import feed_items, followed_ids, following_feed, saved_items
from .templatetags.follow_tags import remember

PER_PAGE = 20
POPULAR_TAGS = 12

# What each kind in a button's URL fetches: only what this person may see, so anything else is 404.
FOLLOWABLE = {
    "organisation": lambda user: Organisation.objects.visible_to(user),
    "pillar": lambda user: Pillar.objects.all(),
    "region": lambda user: Region.objects.all(),
    "tag": lambda user: Tag.objects.all(),
}
SAVEABLE = {
    "case-study": lambda user: CaseStudy.objects.visible_to(user).defer("search_vector"),
    "resource": lambda user: Resource.objects.visible_to(user),
}


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _next_url(request: HttpRequest, fallback: str) -> str:
    """Where the button's form asked to go back to, when it is on this site; else `fallback`."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _answer(request: HttpRequest, *, on: bool, message: str, fallback: str, error: bool = False) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"on": on, "message": message}, status=400 if error else 200)
    (messages.error if error else messages.success)(request, message)
    return redirect(_next_url(request, fallback))


@require_POST
def follow(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Follow (action=follow) or stop following (action=unfollow) one thing."""
    if not request.user.is_authenticated:
        if _wants_json(request):
            raise PermissionDenied
        return redirect_to_login(_next_url(request, reverse("network:following")))
    if kind not in FOLLOWABLE:
        raise Http404
    thing = get_object_or_404(FOLLOWABLE[kind](request.user), pk=pk)
    fallback = thing.get_absolute_url() if kind == "organisation" else reverse("network:following")
    name = getattr(thing, "label", thing.name)  # regions and pillars by their Welsh name on Welsh pages
    try:
        if request.POST.get("action") == "unfollow":
            services.follow_remove(thing=thing, by=request.user)
            on, message = False, _("You no longer follow %(name)s.") % {"name": name}
        else:
            services.follow_add(thing=thing, by=request.user)
            on, message = True, _("You now follow %(name)s.") % {"name": name}
    except services.InvalidState as error:
        return _answer(request, on=False, message=str(error), fallback=fallback, error=True)
    return _answer(request, on=on, message=message, fallback=fallback)


@require_POST
def save(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Save (action=save) or remove (action=unsave) a case study or resource."""
    if not request.user.is_authenticated:
        if _wants_json(request):
            raise PermissionDenied
        return redirect_to_login(_next_url(request, reverse("network:saved")))
    if kind not in SAVEABLE:
        raise Http404
    item = get_object_or_404(SAVEABLE[kind](request.user), pk=pk)
    fallback = item.get_absolute_url()
    try:
        if request.POST.get("action") == "unsave":
            services.item_unsave(item=item, by=request.user)
            on, message = False, _("“%(title)s” is no longer in your saved items.") % {"title": item.title}
        else:
            services.item_save(item=item, by=request.user)
            on, message = True, _("“%(title)s” is saved. Find it under Saved.") % {"title": item.title}
    except services.InvalidState as error:
        return _answer(request, on=False, message=str(error), fallback=fallback, error=True)
    return _answer(request, on=on, message=message, fallback=fallback)


@login_required
def following(request: HttpRequest) -> HttpResponse:
    """What is new from what the person follows, and what they follow, with ways to change it."""
    follows = list(
        Follow.objects.filter(user=request.user).select_related("organisation", "pillar", "region", "tag")
    )
    ids = followed_ids(follows)
    remember(request, follows=((f.kind, getattr(f, f"{f.kind}_id")) for f in follows))
    topics_form = forms.FollowTopicsForm(
        initial={"pillars": sorted(ids["pillar"]), "regions": sorted(ids["region"])}
    )
    tag_form = forms.FollowTagForm()
    if request.method == "POST":
        if request.POST.get("form") == "tag":
            tag_form = forms.FollowTagForm(request.POST)
            if tag_form.is_valid():
                tag = tag_form.cleaned_data["tag"]
                services.follow_add(thing=tag, by=request.user)
                messages.success(request, _("You now follow the tag %(name)s.") % {"name": tag.name})
                return redirect("network:following")
        else:
            topics_form = forms.FollowTopicsForm(request.POST)
            if topics_form.is_valid():
                services.follow_choices_update(**topics_form.cleaned_data, by=request.user)
                messages.success(request, _("The pillars and regions you follow have been saved."))
                return redirect("network:following")
    page = None
    items: list = []
    if any(ids.values()):
        page = Paginator(following_feed(ids), PER_PAGE).get_page(request.GET.get("page"))
        items = feed_items(page.object_list)
    by_kind = {kind: [f for f in follows if f.kind == kind] for kind in Follow.KINDS}
    # The tags most used on case studies and resources, each with its Follow button.
    popular_tags = Tag.objects.annotate(uses=Count("taggit_taggeditem_items")).order_by("-uses", "name")[
        :POPULAR_TAGS
    ]
    return render(
        request,
        "network/following.html",
        {
            "page_obj": page,
            "items": items,
            "follows": follows,
            "followed": by_kind,
            "topics_form": topics_form,
            "tag_form": tag_form,
            "popular_tags": popular_tags,
            "nav": "following",
        },
    )


@login_required
def saved(request: HttpRequest) -> HttpResponse:
    page = Paginator(saved_items(request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for row in rows:
        row.item.is_resource = row.kind == "resource"
    # Everything on this page is saved: the Remove buttons need no query of their own.
    remember(request, saved=((row.kind, getattr(row, f"{row.kind}_id")) for row in rows))
    return render(request, "network/saved.html", {"page_obj": page, "rows": rows, "nav": "saved"})


urlpatterns = [
    path("following/", following, name="following"),
    path("following/<str:kind>/<int:pk>/", follow, name="follow"),
    path("saved/", saved, name="saved"),
    path("saved/<str:kind>/<int:pk>/", save, name="save"),
]
