"""A person's data in the casestudies app: what they wrote, uploaded and decided.

Case studies belong to their organisation, so they stay when their author's account is
deleted; only the author's name comes off them. Read by accounts through
settings.PERSONAL_DATA_PROVIDERS (see accounts/personal_data.py).
"""

from __future__ import annotations

import posixpath
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.personal_data import addresses_of, rows

from .models import Attachment, CaseStudy, Resource, Revision, Transition

GOES = [
    "your name and email address as the contact for a case study",
]
STAYS = [
    "case studies you wrote stay with your organisation, and no longer name you",
    "files you uploaded to a case study stay with it",
    "moderation decisions you made stay on the case study's history, without your name",
    _("resources you suggested stay in the library with your organisation, and no longer name you"),
]


def _names_them(user) -> Q:
    """Case-study contact details that are this person's."""
    by_email = Q()
    for address in addresses_of(user):
        by_email |= Q(contact_email__iexact=address)
    return by_email | Q(contact_name__iexact=user.full_name) if user.full_name else by_email


def _revision_names_them(user) -> Q:
    found = Q()
    for address in addresses_of(user):
        found |= Q(content__contact_email__iexact=address)
    if user.full_name:
        found |= Q(content__contact_name__iexact=user.full_name)
    return found


def export(user) -> dict[str, Any]:
    organisation = ["organisation"]
    return {
        "case_studies_you_started": rows(
            user, CaseStudy.objects.filter(created_by=user).select_related(*organisation).order_by("created_at")
        ),
        "case_studies_naming_you_as_contact": [
            {"title": case_study.title, "status": case_study.get_status_display()}
            for case_study in CaseStudy.objects.filter(_names_them(user)).order_by("created_at")
        ],
        "case_study_revisions_you_wrote": rows(
            user, Revision.objects.filter(created_by=user).select_related("case_study").order_by("created_at")
        ),
        "case_study_files_you_uploaded": rows(
            user, Attachment.objects.filter(uploaded_by=user).select_related("case_study"), exclude=["file"]
        ),
        "resources_you_suggested": rows(
            user, Resource.objects.filter(suggested_by=user).select_related(*organisation).order_by("created_at"),
            exclude=["file"],
        ),
        "case_study_steps_you_took": rows(
            user,
            Transition.objects.filter(by=user).select_related("case_study", "revision", "resource").order_by("at", "pk"),
        ),
    }


def files(user) -> list[tuple[str, Any]]:
    found = []
    for attachment in Attachment.objects.filter(uploaded_by=user).exclude(file=""):
        # A name inside the download that cannot climb out of its folder.
        original = posixpath.basename((attachment.original_name or "").replace("\\", "/"))
        found.append((f"{attachment.pk}-{original or posixpath.basename(attachment.file.name)}", attachment.file))
    for resource in Resource.objects.filter(suggested_by=user).exclude(file=""):
        original = posixpath.basename((resource.original_name or "").replace("\\", "/"))
        found.append((f"resource-{resource.pk}-{original or posixpath.basename(resource.file.name)}", resource.file))
    return found


def erase(user) -> None:
    CaseStudy.objects.filter(created_by=user).update(created_by=None)
    CaseStudy.objects.filter(_names_them(user)).update(contact_name="", contact_email="")
    for revision in Revision.objects.filter(_revision_names_them(user)):
        revision.content = {**revision.content, "contact_name": "", "contact_email": ""}
        revision.save(update_fields=["content"])
    Revision.objects.filter(created_by=user).update(created_by=None)
    Attachment.objects.filter(uploaded_by=user).update(uploaded_by=None)
    Resource.objects.filter(suggested_by=user).update(suggested_by=None)
    Transition.objects.filter(by=user).update(by=None)
