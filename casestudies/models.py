from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from taggit.managers import TaggableManager

from anchors.models import (
    Organisation,
    Pillar,
    active_organisation_ids,
    is_coordinator,
    lead_region_ids,
)

from .fields import SearchDocumentField
from .markdown import render_markdown

# The five sections every case study has, in reading order: (field, heading, hint).
SECTIONS = (
    ("context", "The context and the problem", "What was the situation, and what needed to change?"),
    ("approach", "What was done", "Who did what, with whom, and how."),
    ("outcomes", "The outcomes", "What changed as a result. Put figures in the outcome measures table too."),
    ("lessons", "Lessons for others", "What would you tell another organisation starting out?"),
    ("next_steps", "What comes next", "Plans to continue, grow or change the work."),
)
SECTION_FIELDS = tuple(name for name, _heading, _hint in SECTIONS)
# Each section's Markdown rendered and cleaned when saved (see services.rendered_sections).
SECTION_HTML_FIELDS = tuple(f"{name}_html" for name in SECTION_FIELDS)
# Everything a revision carries and a moderator compares.
CONTENT_FIELDS = ("title", "summary", *SECTION_FIELDS, "period", "contact_name", "contact_email")


class CaseStudyQuerySet(models.QuerySet):
    def published(self) -> CaseStudyQuerySet:
        return self.filter(status=CaseStudy.Status.PUBLISHED)

    def for_cards(self) -> CaseStudyQuerySet:
        """What a list of case studies shows, in a fixed number of queries."""
        return self.defer("search_vector", *SECTION_FIELDS, *SECTION_HTML_FIELDS).select_related(
            "organisation", "organisation__region"
        ).prefetch_related("pillars")

    def visible_to(self, user) -> CaseStudyQuerySet:
        """Published and archived ones for everyone; the rest to their organisation's members
        and to the people who moderate them."""
        public = Q(status__in=[CaseStudy.Status.PUBLISHED, CaseStudy.Status.ARCHIVED])
        if not getattr(user, "is_authenticated", False):
            return self.filter(public)
        if is_coordinator(user):
            return self.all()
        return self.filter(
            public
            | Q(organisation_id__in=active_organisation_ids(user))
            | Q(organisation__region_id__in=lead_region_ids(user))
            & ~Q(status=CaseStudy.Status.DRAFT)
        )

    def awaiting_moderation_by(self, user) -> CaseStudyQuerySet:
        """Submitted case studies this person may decide on, oldest first."""
        waiting = self.filter(status=CaseStudy.Status.SUBMITTED).exclude(
            organisation_id__in=active_organisation_ids(user)
        )
        if not is_coordinator(user):
            waiting = waiting.filter(organisation__region_id__in=lead_region_ids(user))
        return (
            waiting.defer("search_vector")
            .select_related("organisation", "organisation__region")
            .order_by("submitted_at", "pk")
        )


class CaseStudy(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Awaiting review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        ARCHIVED = "archived", "Archived"

    EDITABLE_STATUSES = (Status.DRAFT, Status.CHANGES_REQUESTED)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_studies"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField(
        max_length=600, help_text="Two or three sentences, shown in lists and emails."
    )
    context = models.TextField("the context and the problem", blank=True)
    approach = models.TextField("what was done", blank=True)
    outcomes = models.TextField("the outcomes", blank=True)
    lessons = models.TextField("lessons for others", blank=True)
    next_steps = models.TextField("what comes next", blank=True)
    # The sections as sanitised HTML, written by the services that save the Markdown above.
    context_html = models.TextField(blank=True, editable=False)
    approach_html = models.TextField(blank=True, editable=False)
    outcomes_html = models.TextField(blank=True, editable=False)
    lessons_html = models.TextField(blank=True, editable=False)
    next_steps_html = models.TextField(blank=True, editable=False)
    period = models.CharField(
        "period covered", max_length=100, blank=True, help_text="For example, April 2020 to March 2022."
    )
    contact_name = models.CharField("contact person", max_length=150, blank=True)
    contact_email = models.EmailField("contact email", blank=True)
    pillars = models.ManyToManyField(Pillar, related_name="case_studies")
    tags = TaggableManager(blank=True, help_text="Separate tags with commas.")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    search_vector = SearchDocumentField()

    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name_plural = "case studies"
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="casestudy_status_published"),
            models.Index(fields=["organisation", "status"], name="casestudy_org_status"),
            models.Index(fields=["status", "submitted_at"], name="casestudy_status_submitted"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    def sections(self) -> list[tuple[str, str, SafeString]]:
        """(field, heading, HTML) for each section that has text."""
        return stored_sections(
            {name: getattr(self, name) for name in SECTION_FIELDS},
            {name: getattr(self, f"{name}_html") for name in SECTION_FIELDS},
        )


def stored_sections(texts: dict, htmls: dict) -> list[tuple[str, str, SafeString]]:
    """(field, heading, HTML) for each section with text, from the HTML stored when it was saved.

    The stored HTML was cleaned by the Markdown allow-list before it was written, so it is
    shown as it is. A row written some other way (an import, a fixture) has none yet: its
    Markdown is rendered here, which render_markdown keeps bounded whatever the text.
    """
    sections = []
    for name, heading, _hint in SECTIONS:
        text = texts.get(name) or ""
        if not text:
            continue
        html = htmls.get(name) or ""
        sections.append((name, heading, mark_safe(html) if html else render_markdown(text)))  # noqa: S308
    return sections


class OutcomeMeasure(models.Model):
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="measures")
    measure = models.CharField(max_length=200)
    # A standard measure makes the outcome comparable: its value then follows the measure's unit
    # kind. Outcomes without one stay free text, as they always were.
    standard_measure = models.ForeignKey(
        "evidence.StandardMeasure", on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes"
    )
    value = models.DecimalField(max_digits=14, decimal_places=2)
    unit = models.CharField(max_length=40, help_text="For example %, £, people, tonnes CO2e.")
    period = models.CharField(max_length=100, blank=True)
    baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.measure}: {self.value} {self.unit}"


class Partner(models.Model):
    """A partner in the work: a member organisation, or anyone else by name."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(name=""), name="partner_has_org_or_name"
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name if self.organisation_id else self.name


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the uploader: only the extension we derived.
    import uuid

    return f"case-studies/{instance.case_study_id}/{uuid.uuid4().hex}.{instance.extension}"


class Attachment(models.Model):
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    title = models.CharField(max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    alt_text = models.CharField(
        "alternative text", max_length=300, blank=True, help_text="Describe the image for people who cannot see it."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:attachment", kwargs={"pk": self.pk})

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Revision(models.Model):
    """Proposed changes to a published case study, moderated while the published one stays live."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Awaiting review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED)

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="revisions")
    content = models.JSONField(default=dict)
    # {section: sanitised HTML} for the sections in `content`, written with it by the services.
    content_html = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_study"],
                condition=Q(status__in=["draft", "submitted", "changes_requested"]),
                name="revision_one_open_per_case_study",
            ),
        ]

    def __str__(self) -> str:
        return f"Revision of {self.case_study} ({self.get_status_display()})"

    def sections(self) -> list[tuple[str, str, SafeString]]:
        """(field, heading, HTML) for each proposed section that has text."""
        return stored_sections(self.content, self.content_html or {})


class Transition(models.Model):
    """One row per workflow step: who did what, when, and what they said."""

    LABELS = {
        "created": "Draft started",
        "revision_started": "Changes to the published version started",
        "submitted": "Submitted for review",
        "published": "Published",
        "changes_requested": "Changes requested",
        "rejected": "Rejected",
        "archived": "Archived",
    }

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="transitions")
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_study}: {self.action} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.action, self.action)
