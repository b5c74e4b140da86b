from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
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
# Headings and hints are lazy: each page shows them in its own language.
SECTIONS = (
    ("context", _("The context and the problem"), _("What was the situation, and what needed to change?")),
    ("approach", _("What was done"), _("Who did what, with whom, and how.")),
    ("outcomes", _("The outcomes"), _("What changed as a result. Put figures in the outcome measures table too.")),
    ("lessons", _("Lessons for others"), _("What would you tell another organisation starting out?")),
    ("next_steps", _("What comes next"), _("Plans to continue, grow or change the work.")),
)
SECTION_FIELDS = tuple(name for name, _heading, _hint in SECTIONS)
# Each section's Markdown rendered and cleaned when saved (see services.rendered_sections).
SECTION_HTML_FIELDS = tuple(f"{name}_html" for name in SECTION_FIELDS)
# Everything a revision carries and a moderator compares.
CONTENT_FIELDS = ("title", "summary", *SECTION_FIELDS, "period", "contact_name", "contact_email")
# The language a member wrote a case study or a resource in: its text is marked with it
# (lang="...") on every page, whatever the page's own language, so it is read aloud right.
WRITTEN_IN_LABEL = _("Language this is written in")


class ModerationStatus(models.TextChoices):
    """The states every moderated thing (case studies, resources) moves through; the allowed
    steps between them are in casestudies.moderation."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


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
    Status = ModerationStatus

    EDITABLE_STATUSES = (Status.DRAFT, Status.CHANGES_REQUESTED)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_studies", verbose_name=_("organisation")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField(
        _("summary"), max_length=600, help_text=_("Two or three sentences, shown in lists and emails.")
    )
    context = models.TextField(_("the context and the problem"), blank=True)
    approach = models.TextField(_("what was done"), blank=True)
    outcomes = models.TextField(_("the outcomes"), blank=True)
    lessons = models.TextField(_("lessons for others"), blank=True)
    next_steps = models.TextField(_("what comes next"), blank=True)
    # The sections as sanitised HTML, written by the services that save the Markdown above.
    context_html = models.TextField(blank=True, editable=False)
    approach_html = models.TextField(blank=True, editable=False)
    outcomes_html = models.TextField(blank=True, editable=False)
    lessons_html = models.TextField(blank=True, editable=False)
    next_steps_html = models.TextField(blank=True, editable=False)
    period = models.CharField(
        _("period covered"), max_length=100, blank=True, help_text=_("For example, April 2020 to March 2022.")
    )
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    language = models.CharField(
        WRITTEN_IN_LABEL, max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    pillars = models.ManyToManyField(Pillar, related_name="case_studies", verbose_name=_("pillars"))
    tags = TaggableManager(_("tags"), blank=True, help_text=_("Separate tags with commas."))

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
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
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")
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
    measure = models.CharField(_("measure"), max_length=200)
    # A standard measure makes the outcome comparable: its value then follows the measure's unit
    # kind. Outcomes without one stay free text, as they always were.
    standard_measure = models.ForeignKey(
        "evidence.StandardMeasure", on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes"
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=40, help_text=_("For example %, £, people, tonnes CO2e."))
    period = models.CharField(_("period"), max_length=100, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("outcome measure")
        verbose_name_plural = _("outcome measures")

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
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    title = models.CharField(_("title"), max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    alt_text = models.CharField(
        _("alternative text"), max_length=300, blank=True,
        help_text=_("Describe the image for people who cannot see it."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("file")
        verbose_name_plural = _("files")

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
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED)

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="revisions")
    content = models.JSONField(default=dict)
    # {section: sanitised HTML} for the sections in `content`, written with it by the services.
    content_html = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
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
    """One row per workflow step of a case study or a resource: who did what, when, and what
    they said (written by casestudies.moderation.record)."""

    LABELS = {
        "created": _("Draft started"),
        "suggested": _("Suggested"),
        "revision_started": _("Changes to the published version started"),
        "submitted": _("Submitted for review"),
        "published": _("Published"),
        "changes_requested": _("Changes requested"),
        "rejected": _("Rejected"),
        "archived": _("Archived"),
    }

    case_study = models.ForeignKey(
        CaseStudy, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    resource = models.ForeignKey(
        "Resource", on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
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
        constraints = [
            # Each step belongs to exactly one moderated thing.
            models.CheckConstraint(
                condition=Q(case_study__isnull=False, resource__isnull=True)
                | Q(case_study__isnull=True, resource__isnull=False),
                name="transition_of_case_study_or_resource",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_study or self.resource}: {self.action} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.action, self.action)


# --- The resource library ----------------------------------------------------------------------


class ResourceQuerySet(models.QuerySet):
    def published(self) -> ResourceQuerySet:
        return self.filter(status=ModerationStatus.PUBLISHED)

    def for_cards(self) -> ResourceQuerySet:
        """What a list of resources shows, in a fixed number of queries."""
        return self.select_related(
            "organisation", "organisation__region", "partner_organisation", "partner_organisation__region"
        ).prefetch_related("pillars")

    def visible_to(self, user) -> ResourceQuerySet:
        """Published ones for everyone; the rest to the person who suggested it, to the owning
        organisation's members and (once submitted) to the people who moderate it."""
        public = Q(status=ModerationStatus.PUBLISHED)
        if not getattr(user, "is_authenticated", False):
            return self.filter(public)
        if is_coordinator(user):
            return self.all()
        return self.filter(
            public
            | Q(suggested_by=user)
            | Q(organisation_id__in=active_organisation_ids(user))
            | Q(organisation__region_id__in=lead_region_ids(user)) & ~Q(status=ModerationStatus.DRAFT)
        )

    def awaiting_moderation_by(self, user) -> ResourceQuerySet:
        """Submitted resources this person may decide on, oldest first."""
        waiting = self.filter(status=ModerationStatus.SUBMITTED).exclude(
            organisation_id__in=active_organisation_ids(user)
        )
        if not is_coordinator(user):
            waiting = waiting.filter(organisation__region_id__in=lead_region_ids(user))
        return waiting.select_related(
            "organisation", "organisation__region", "suggested_by"
        ).order_by("submitted_at", "pk")


def resource_path(instance: Resource, filename: str) -> str:
    # The stored name never comes from the uploader: only the extension we derived.
    import uuid

    return f"resources/{uuid.uuid4().hex}.{instance.extension}"


class Resource(models.Model):
    """A toolkit, guide, template, report or event recording: an uploaded file or a link."""

    class Kind(models.TextChoices):
        TOOLKIT = "toolkit", _("Toolkit")
        GUIDE = "guide", _("Guide")
        TEMPLATE = "template", _("Template")
        REPORT = "report", _("Report")
        EVENT_RECORDING = "event_recording", _("Event recording")

    Status = ModerationStatus
    EDITABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED)

    kind = models.CharField(_("kind of resource"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField(
        _("summary"), max_length=600, help_text=_("Two or three sentences of plain text, shown in lists and emails.")
    )
    # Exactly one of an uploaded file or a link (see the constraint below).
    file = models.FileField(_("file"), upload_to=resource_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    extension = models.CharField(max_length=10, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    language = models.CharField(
        WRITTEN_IN_LABEL, max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    pillars = models.ManyToManyField(Pillar, related_name="resources", verbose_name=_("pillars"))
    tags = TaggableManager(_("tags"), blank=True, help_text=_("Separate tags with commas."))

    # The member organisation that owns the suggestion: its region's lead moderates it. Unless a
    # partner is named, it is also the organisation that made the resource.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="resources", verbose_name=_("organisation")
    )
    # Made by a partner instead, as a case study names its partners: another organisation on the
    # network, or anyone else by name (never both).
    partner_organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("partner organisation"),
    )
    partner_name = models.CharField(_("partner name"), max_length=200, blank=True)
    date = models.DateField(
        _("date"), null=True, blank=True, help_text=_("When it was published, or when the event took place.")
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="resource_status_published"),
            models.Index(fields=["organisation", "status"], name="resource_org_status"),
            models.Index(fields=["status", "submitted_at"], name="resource_status_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(file="", url__gt="") | Q(url="", file__gt=""),
                name="resource_file_or_link",
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="resource_link_is_web",
            ),
            models.CheckConstraint(
                condition=Q(partner_organisation__isnull=True) | Q(partner_name=""),
                name="resource_one_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:resource", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_link(self) -> bool:
        return bool(self.url)

    @property
    def made_by(self) -> str:
        """Who made it, for display: the partner when one is named, else the organisation."""
        if self.partner_organisation_id:
            return self.partner_organisation.name
        return self.partner_name or self.organisation.name

    @property
    def maker_organisation(self) -> Organisation | None:
        """The organisation on the network that made it: the partner organisation, else the
        suggesting organisation; None for a partner known only by name (no region to show)."""
        if self.partner_organisation_id:
            return self.partner_organisation
        return None if self.partner_name else self.organisation
