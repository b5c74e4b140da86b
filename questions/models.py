"""Questions a signed-in person sends to a case study's contact, and the contact's and authors'
ways to turn them off.

The contact's address is read from the case study when a question is sent and never stored
here: an opt-out keeps only a hash of the address (see `address_hash`).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casestudies.models import CaseStudy

MESSAGE_MAX_LENGTH = 2000


def address_hash(address: str) -> str:
    """A stable, one-way name for an email address: SHA-256 of the lower-cased address in this
    app's namespace. Not keyed on SECRET_KEY on purpose, so rotating the key never forgets an
    opt-out; it keeps addresses out of the table, not out of reach of someone guessing them."""
    return hashlib.sha256(f"anchors.questions:{address.strip().lower()}".encode()).hexdigest()


class Question(models.Model):
    """One question as sent: kept so misuse can be reviewed, and in the asker's data download."""

    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="questions_asked",
        verbose_name=_("asker"),
    )
    case_study = models.ForeignKey(
        CaseStudy, on_delete=models.CASCADE, related_name="+", verbose_name=_("case study")
    )
    message = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["asker", "asked_at"], name="question_asker_asked_at")]

    def __str__(self) -> str:
        return f"{self.case_study} ({self.asked_at:%Y-%m-%d %H:%M})"


class MisuseReport(models.Model):
    """A contact's report, from the link in a question email, that a question was misuse."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="misuse_report", verbose_name=_("question")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reviewed = models.BooleanField(_("reviewed"), default=False)
    notes = models.TextField(_("coordinator's notes"), blank=True)

    class Meta:
        ordering = ["reviewed", "-reported_at"]
        verbose_name = _("misuse report")
        verbose_name_plural = _("misuse reports")

    def __str__(self) -> str:
        return str(self.question)


class ContactOptOut(models.Model):
    """A contact who turned questions off: for one case study, or (no case study) for every
    case study that names their address."""

    address_hash = models.CharField(_("address hash"), max_length=64)
    case_study = models.ForeignKey(
        CaseStudy, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case study")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact opt-out")
        verbose_name_plural = _("contact opt-outs")
        constraints = [
            models.UniqueConstraint(
                fields=["address_hash", "case_study"], name="question_optout_once_per_case_study"
            ),
            models.UniqueConstraint(
                fields=["address_hash"], condition=Q(case_study__isnull=True), name="question_optout_once_for_all"
            ),
        ]

    def __str__(self) -> str:
        return str(self.case_study or _("all case studies"))


class QuestionSetting(models.Model):
    """The authors' choice for one case study; no row means questions are accepted."""

    case_study = models.OneToOneField(
        CaseStudy, on_delete=models.CASCADE, related_name="+", verbose_name=_("case study")
    )
    accepts_questions = models.BooleanField(_("accepts questions"), default=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("question setting")
        verbose_name_plural = _("question settings")

    def __str__(self) -> str:
        return str(self.case_study)
