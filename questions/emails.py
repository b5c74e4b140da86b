"""The emails of the questions app: the question to the contact, and a misuse report to the
coordinators. Each is rendered in its reader's language and queued on commit."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.mail import absolute_url, queue_email

from . import tokens
from .models import MisuseReport, Question, address_hash
from .selectors import language_of, organisation_names


def question_to_contact(*, question: Question, to: str) -> None:
    """The question, from the site, with Reply-To set to the asker so the contact may answer
    them directly. The contact's address is only ever the recipient."""
    asker = question.asker
    case_study = question.case_study
    with translation.override(language_of(to)):
        queue_email(
            to=to,
            template_prefix="questions/emails/question",
            context={
                "question": question,
                "case_study": case_study,
                "contact_name": case_study.contact_name,
                "asker_name": asker.full_name,
                "asker_job_title": asker.job_title,
                "asker_organisations": organisation_names(asker),
                "case_study_url": absolute_url(case_study.get_absolute_url()),
                "report_url": tokens.report_url(question_id=question.pk),
                "stop_url": tokens.stop_url(case_study_id=case_study.pk, address_hash=address_hash(to)),
            },
            headers={"Reply-To": asker.email},
        )


def coordinator_people():
    return get_user_model().objects.filter(
        Q(coordinator__isnull=False) | Q(is_superuser=True), is_active=True
    ).distinct().order_by("pk")


def misuse_reported(*, report: MisuseReport) -> None:
    """Tell every coordinator, each in their own language, where to review the report."""
    question = report.question
    for person in coordinator_people():
        with translation.override(getattr(person, "language", "") or "en-gb"):
            queue_email(
                to=person.email,
                template_prefix="questions/emails/misuse_reported",
                context={
                    "report": report,
                    "question": question,
                    "case_study": question.case_study,
                    "admin_url": absolute_url(reverse("admin:questions_misusereport_change", args=[report.pk])),
                },
            )
