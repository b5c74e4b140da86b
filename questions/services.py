"""Every change in the questions app: asking, reporting misuse, and turning questions off.

Keyword-only functions; refusals raise anchors' NotAllowed (views answer 403) or InvalidState
(views show the message); emails are queued in the transaction and sent after it commits.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import sitecache
from anchors.models import is_member_of
from anchors.services import InvalidState, NotAllowed
from casestudies.models import CaseStudy

from . import emails, ratelimit
from .models import MESSAGE_MAX_LENGTH, ContactOptOut, MisuseReport, Question, QuestionSetting
from .selectors import accepts_questions


class QuestionsOff(InvalidState):
    """This case study does not take questions (no contact, or turned off)."""


class TooManyQuestions(InvalidState):
    """The person reached the hourly or daily limit."""


def clean_message(message: str) -> str:
    """The message as sent: NUL bytes removed, trimmed; refused when empty or too long."""
    message = (message or "").replace("\x00", "").strip()
    if not message:
        raise InvalidState(_("Write your question."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise InvalidState(
            _("Your question must be %(limit)s characters or fewer.") % {"limit": f"{MESSAGE_MAX_LENGTH:,}"}
        )
    return message


def ask_refusal(*, case_study: CaseStudy, by) -> str | None:
    """Why this person cannot ask about this case study now, in words for them; None if they can.
    Raises NotAllowed for people who may not ask at all."""
    if not getattr(by, "is_authenticated", False):
        raise NotAllowed(_("Sign in to ask a question."))
    if not EmailAddress.objects.filter(user=by, verified=True).exists():
        raise NotAllowed(_("Verify your email address before you ask a question."))
    if not case_study.is_published:
        raise NotAllowed(_("This case study is not published."))
    if is_member_of(by, case_study.organisation_id):
        return _("This is your own organisation's case study, so ask your colleagues directly.")
    if not accepts_questions(case_study):
        return _("This case study is not taking questions at the moment.")
    return None


def question_ask(*, case_study: CaseStudy, message: str, by) -> Question:
    """Send `message` to the case study's contact with the asker's details, and keep it."""
    refusal = ask_refusal(case_study=case_study, by=by)
    if refusal:
        raise QuestionsOff(refusal)
    message = clean_message(message)
    try:
        ratelimit.spend(by)
    except ratelimit.LimitReached as reached:
        if reached.window == "hour":
            text = _("You have sent %(count)s questions in the last hour. Please wait an hour and try again.")
            raise TooManyQuestions(text % {"count": ratelimit.PER_HOUR}) from None
        text = _("You have sent %(count)s questions today. Please try again tomorrow.")
        raise TooManyQuestions(text % {"count": ratelimit.PER_DAY}) from None
    with transaction.atomic():
        question = Question.objects.create(asker=by, case_study=case_study, message=message)
        emails.question_to_contact(question=question, to=case_study.contact_email)
    return question


def question_report(*, question: Question) -> MisuseReport:
    """Record the contact's report (once: a second click changes nothing) and tell the
    coordinators."""
    with transaction.atomic():
        report, created = MisuseReport.objects.get_or_create(question=question)
        if created:
            emails.misuse_reported(report=report)
    return report


def contact_opt_out(*, case_study_id: int, address_hash: str, every_case_study: bool) -> ContactOptOut:
    """The contact turns questions off for this case study, or for every case study naming
    their address. Doing it twice changes nothing."""
    scope = None if every_case_study else case_study_id
    with transaction.atomic():
        try:
            with transaction.atomic():
                opt_out, created = ContactOptOut.objects.get_or_create(address_hash=address_hash, case_study_id=scope)
        except IntegrityError:  # the same click twice at once
            opt_out, created = ContactOptOut.objects.get(address_hash=address_hash, case_study_id=scope), False
        if created:
            sitecache.content_changed()  # the "Ask a question" link goes from cached pages
    return opt_out


def question_setting_change(*, case_study: CaseStudy, accepts_questions: bool, by) -> QuestionSetting:
    """The case study's authors (members of its organisation) turn questions on or off."""
    if not is_member_of(by, case_study.organisation_id):
        raise NotAllowed(_("Only members of the organisation that wrote this case study can change this."))
    with transaction.atomic():
        setting, created = QuestionSetting.objects.select_for_update().get_or_create(
            case_study=case_study,
            defaults={"accepts_questions": accepts_questions, "changed_by": by},
        )
        if not created and setting.accepts_questions == accepts_questions:
            return setting
        setting.accepts_questions = accepts_questions
        setting.changed_by = by
        setting.changed_at = timezone.now()
        setting.save()
        sitecache.content_changed()
    return setting
