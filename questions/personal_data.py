"""A person's part in the questions app: the questions they asked, and questions turned off
for their own address. Read by accounts through settings.PERSONAL_DATA_PROVIDERS.

On deletion a question keeps its case study and date (so coordinators can still count and
review reports) but loses the asker and the message. Nothing here names a contact's address.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.personal_data import addresses_of

from .models import ContactOptOut, Question, address_hash

GOES = [
    _("the questions you asked the contacts of case studies (a record that a question was sent, "
      "with its date, stays without your name or your words)"),
    _("any choice you made to stop questions to your email address"),
]
STAYS: list[str] = []


def export(user) -> dict[str, Any]:
    hashes = [address_hash(address) for address in addresses_of(user)]
    return {
        "questions_you_asked": [
            {
                "case_study": question.case_study.title,
                "asked_at": question.asked_at.isoformat(),
                "message": question.message,
                "reported_as_misuse": hasattr(question, "misuse_report"),
            }
            for question in Question.objects.filter(asker=user)
            .select_related("case_study", "misuse_report").order_by("asked_at", "pk")
        ],
        "questions_stopped_for_your_address": [
            {
                "case_study": opt_out.case_study.title if opt_out.case_study_id else "every case study",
                "created_at": opt_out.created_at.isoformat(),
            }
            for opt_out in ContactOptOut.objects.filter(address_hash__in=hashes)
            .select_related("case_study").order_by("created_at", "pk")
        ],
    }


def erase(user) -> None:
    Question.objects.filter(asker=user).update(asker=None, message="")
    ContactOptOut.objects.filter(address_hash__in=[address_hash(a) for a in addresses_of(user)]).delete()
