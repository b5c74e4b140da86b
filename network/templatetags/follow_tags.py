"""Whether the signed-in person follows a thing or saved an item, for the Follow and Save buttons.

The first button on a page loads everything the person follows (one query), the first Save
button everything they saved (one query); the answers are remembered on the request, so a page
of fifty buttons costs the same as a page of one.
"""

from django import template
from django.urls import reverse

from ..follow_services import follow_kind, saved_kind
from ..models import Follow, SavedItem

register = template.Library()


def _memo(request, name: str, load) -> set:
    memo = getattr(request, "_network_follow_memo", None)
    if memo is None:
        memo = request._network_follow_memo = {}
    if name not in memo:
        memo[name] = load() if request.user.is_authenticated else set()
    return memo[name]


def followed_keys(request) -> set[tuple[str, int]]:
    def load():
        rows = Follow.objects.filter(user=request.user).values_list(*(f"{k}_id" for k in Follow.KINDS))
        return {(kind, pk) for row in rows for kind, pk in zip(Follow.KINDS, row, strict=True) if pk}

    return _memo(request, "follows", load)


def saved_keys(request) -> set[tuple[str, int]]:
    def load():
        rows = SavedItem.objects.filter(user=request.user).values_list(*(f"{k}_id" for k in SavedItem.KINDS))
        return {(kind, pk) for row in rows for kind, pk in zip(SavedItem.KINDS, row, strict=True) if pk}

    return _memo(request, "saved", load)


def remember(request, *, follows=None, saved=None) -> None:
    """A view that has already loaded what the person follows (or saved) tells the buttons, so
    they cost no query of their own."""
    memo = getattr(request, "_network_follow_memo", None)
    if memo is None:
        memo = request._network_follow_memo = {}
    if follows is not None:
        memo["follows"] = set(follows)
    if saved is not None:
        memo["saved"] = set(saved)


@register.simple_tag(takes_context=True)
def follows(context, thing) -> bool:
    """{% follows organisation as following %}"""
    request = context.get("request")
    if request is None or thing is None:
        return False
    return (follow_kind(thing), thing.pk) in followed_keys(request)


@register.simple_tag(takes_context=True)
def has_saved(context, item) -> bool:
    """{% has_saved case_study as saved %}"""
    request = context.get("request")
    if request is None or item is None:
        return False
    return (saved_kind(item), item.pk) in saved_keys(request)


@register.simple_tag
def follow_url(thing) -> str:
    return reverse("network:follow", kwargs={"kind": follow_kind(thing), "pk": thing.pk})


@register.simple_tag
def save_url(item) -> str:
    return reverse("network:save", kwargs={"kind": saved_kind(item).replace("_", "-"), "pk": item.pk})
