"""Reads: may this case study receive questions, and what the email says about the asker."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, Q

import sitecache
from anchors.models import Organisation
from casestudies.models import CaseStudy

from .models import ContactOptOut, QuestionSetting, address_hash


def accepts_questions(case_study: CaseStudy) -> bool:
    """Published, with a contact address, not turned off by its authors nor by the contact (for
    this case study or for all): asked fresh, in one query (none without a contact)."""
    if not case_study.is_published or not case_study.contact_email:
        return False
    turned_off = QuestionSetting.objects.filter(case_study_id=case_study.pk, accepts_questions=False)
    opted_out = ContactOptOut.objects.filter(
        Q(case_study_id=case_study.pk) | Q(case_study__isnull=True),
        address_hash=address_hash(case_study.contact_email),
    )
    return not CaseStudy.objects.filter(pk=case_study.pk).filter(Exists(turned_off) | Exists(opted_out)).exists()


def shows_ask_link(case_study: CaseStudy) -> bool:
    """`accepts_questions` for the case-study page, shared by everyone for the content version
    (every change to the choices bumps it), so a page built from the cache asks nothing."""
    if not case_study.is_published or not case_study.contact_email:
        return False
    parts = (case_study.pk, address_hash(case_study.contact_email))
    return sitecache.fragment("questions-open", parts, lambda: accepts_questions(case_study))


def contact_opted_out(case_study: CaseStudy) -> bool:
    if not case_study.contact_email:
        return False
    return ContactOptOut.objects.filter(
        Q(case_study_id=case_study.pk) | Q(case_study__isnull=True),
        address_hash=address_hash(case_study.contact_email),
    ).exists()


def authors_accept(case_study: CaseStudy) -> bool:
    return not QuestionSetting.objects.filter(case_study_id=case_study.pk, accepts_questions=False).exists()


def organisation_names(user) -> list[str]:
    """The organisations the person is an active member of, by name."""
    return list(
        Organisation.objects.filter(memberships__user=user, memberships__status="active")
        .order_by("name").values_list("name", flat=True).distinct()
    )


def language_of(address: str) -> str:
    """The language a person with this address chose for their emails, or English when no
    account has it (or accounts have no language yet)."""
    User = get_user_model()
    if "language" not in {field.name for field in User._meta.concrete_fields}:
        return "en-gb"
    language = User.objects.filter(email__iexact=address).values_list("language", flat=True).first()
    return language or "en-gb"
