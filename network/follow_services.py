"""Following and saving: every change a person makes to what they follow and what they saved.

Each function is idempotent: following what someone already follows, or saving what they already
saved, changes nothing and is not an error (a second click, or two tabs, is harmless). Each
returns True when it changed something. `network.services` re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from taggit.models import Tag

from accounts.models import User
from anchors.models import Organisation, Pillar, Region
from anchors.services import InvalidState, NotAllowed
from casestudies.models import CaseStudy, Resource

from .models import Follow, SavedItem

Followable = Organisation | Pillar | Region | Tag
Saveable = CaseStudy | Resource


def follow_kind(thing: Followable) -> str:
    """The Follow field that holds this kind of thing."""
    for kind, model in (("organisation", Organisation), ("pillar", Pillar), ("region", Region), ("tag", Tag)):
        if isinstance(thing, model):
            return kind
    raise TypeError(f"{type(thing).__name__} cannot be followed")


def saved_kind(item: Saveable) -> str:
    if isinstance(item, CaseStudy):
        return "case_study"
    if isinstance(item, Resource):
        return "resource"
    raise TypeError(f"{type(item).__name__} cannot be saved")


def _signed_in(by: User, message: str) -> None:
    if not getattr(by, "is_authenticated", False):
        raise NotAllowed(message)


def _create_once(model, **fields) -> bool:
    """Write the row unless it is there; two clicks racing each other still write one row."""
    if model.objects.filter(**fields).exists():
        return False
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:  # the other click won: the row is there, which is all we wanted
        return False
    return True


def follow_add(*, thing: Followable, by: User) -> bool:
    """Follow an organisation, a pillar, a region or a tag. Only verified organisations can be
    followed: their published work is what a follow brings."""
    _signed_in(by, _("Sign in to follow organisations and topics."))
    kind = follow_kind(thing)
    if kind == "organisation" and thing.status != Organisation.Status.VERIFIED:
        raise InvalidState(_("Only verified member organisations can be followed."))
    return _create_once(Follow, user=by, **{kind: thing})


def follow_remove(*, thing: Followable, by: User) -> bool:
    _signed_in(by, _("Sign in to follow organisations and topics."))
    deleted, _rows = Follow.objects.filter(user=by, **{follow_kind(thing): thing}).delete()
    return bool(deleted)


def follow_choices_update(
    *, pillars: Iterable[Pillar] = (), regions: Iterable[Region] = (), by: User
) -> tuple[int, int]:
    """Follow exactly these pillars and regions (the checkbox form): the ticked ones are added,
    the others removed. Returns how many follows were added and removed."""
    _signed_in(by, _("Sign in to follow organisations and topics."))
    added = removed = 0
    with transaction.atomic():
        for kind, chosen in (("pillar", pillars), ("region", regions)):
            wanted = {thing.pk: thing for thing in chosen}
            held = set(
                Follow.objects.filter(user=by, **{f"{kind}__isnull": False}).values_list(f"{kind}_id", flat=True)
            )
            for pk in wanted.keys() - held:
                added += _create_once(Follow, user=by, **{kind: wanted[pk]})
            gone = held - wanted.keys()
            if gone:
                removed += Follow.objects.filter(user=by, **{f"{kind}_id__in": gone}).delete()[0]
    return added, removed


def item_save(*, item: Saveable, by: User) -> bool:
    """Save a published case study or resource to read again later."""
    _signed_in(by, _("Sign in to save case studies and resources."))
    if not item.is_published:
        raise InvalidState(_("Only published case studies and resources can be saved."))
    return _create_once(SavedItem, user=by, **{saved_kind(item): item})


def item_unsave(*, item: Saveable, by: User) -> bool:
    _signed_in(by, _("Sign in to save case studies and resources."))
    deleted, _rows = SavedItem.objects.filter(user=by, **{saved_kind(item): item}).delete()
    return bool(deleted)
