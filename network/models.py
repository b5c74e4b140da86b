from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anchors.models import Pillar, Region
from casestudies.models import CaseStudy, Resource

# --- Learning groups ---------------------------------------------------------------------------


class GroupQuerySet(models.QuerySet):
    def with_member_counts(self) -> GroupQuerySet:
        # An aggregate drops Meta.ordering from the query, so the order is said again.
        return self.annotate(
            member_count=Count(
                "memberships", filter=Q(memberships__status=GroupMembership.Status.ACTIVE)
            )
        ).order_by("kind", "name")


class Group(models.Model):
    class Kind(models.TextChoices):
        REGIONAL = "regional", _("Regional")
        THEMATIC = "thematic", _("Thematic")

    class JoinPolicy(models.TextChoices):
        OPEN = "open", _("Anyone in the network can join")
        REQUEST = "request", _("People ask to join and a lead approves")

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.THEMATIC)
    region = models.OneToOneField(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="group"
    )
    pillar = models.ForeignKey(
        Pillar, on_delete=models.SET_NULL, null=True, blank=True, related_name="groups"
    )
    join_policy = models.CharField(
        max_length=16, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("network:group", kwargs={"slug": self.slug})

    def relevant_case_studies(self):
        """Published case studies from its region or on its pillar, newest first."""
        found = CaseStudy.objects.published()
        if self.region_id:
            found = found.filter(organisation__region_id=self.region_id)
        elif self.pillar_id:
            found = found.filter(pillars=self.pillar_id)
        else:
            return CaseStudy.objects.none()
        return found.order_by("-published_at", "-pk")


class GroupMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        LEAD = "lead", pgettext_lazy("group role", "Lead")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked to join")
        ACTIVE = "active", _("Member")
        DECLINED = "declined", _("Declined")
        LEFT = "left", pgettext_lazy("left a group", "Left")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=Q(status__in=["requested", "active"]),
                name="group_membership_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class Thread(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="threads"
    )
    title = models.CharField(max_length=200)
    email_author_on_reply = models.BooleanField(
        _("Email me when someone replies"), default=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_post_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_post_at"]
        indexes = [models.Index(fields=["group", "-last_post_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("network:thread", kwargs={"slug": self.group.slug, "pk": self.pk})


# Long enough for a considered answer; past this, start a document and link to it.
POST_MAX_LENGTH = 10_000


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="posts"
    )
    body = models.TextField()
    # Rendered and sanitised once, when the post is written: a page never renders Markdown.
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Post {self.pk} in {self.thread}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class PostReportQuerySet(models.QuerySet):
    def open(self) -> PostReportQuerySet:
        return self.filter(status=PostReport.Status.OPEN)


class PostReport(models.Model):
    """A member's report that a post breaks the group's rules, waiting for a lead."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a lead")
        HIDDEN = "hidden", _("Post hidden")
        DISMISSED = "dismissed", _("Dismissed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = PostReportQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "reported_by"], name="post_report_once_per_person")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Report on {self.post}"


class EventQuerySet(models.QuerySet):
    def upcoming(self) -> EventQuerySet:
        return self.filter(ends_at__gte=timezone.now()).order_by("starts_at")


class Event(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(_("place"), max_length=255, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- Digests -----------------------------------------------------------------------------------


class DigestPreference(models.Model):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly, on Monday mornings")
        MONTHLY = "monthly", _("Monthly, on the first Monday")
        NEVER = "never", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference"
    )
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.WEEKLY)
    pillars = models.ManyToManyField(Pillar, blank=True, related_name="+")
    regions = models.ManyToManyField(Region, blank=True, related_name="+")
    coordinator_digests = models.BooleanField(
        _("Send me the network coordinators' digests"), default=True
    )
    last_personal_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digest preferences of {self.user}"


class Digest(models.Model):
    """One mailing: a coordinator's digest, or one run of the personal digests."""

    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator's digest")
        PERSONAL = "personal", _("Personal digest")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone in the network")
        REGIONS = "regions", _("People in one or more regions")
        GROUPS = "groups", _("Members of one or more groups")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("emails", "Sent")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COORDINATOR)
    subject = models.CharField(max_length=200)
    introduction = models.TextField(blank=True)
    case_studies = models.ManyToManyField(CaseStudy, blank=True, related_name="+")
    resources = models.ManyToManyField(Resource, blank=True, related_name="+")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    regions = models.ManyToManyField(Region, blank=True, related_name="+")
    groups = models.ManyToManyField(Group, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    send_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The last time a coordinator called off a scheduled send (the digest went back to draft).
    schedule_cancelled_at = models.DateTimeField(null=True, blank=True)
    schedule_cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "send_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "send_at"],
                condition=models.Q(kind="personal"),
                name="one_personal_digest_per_run",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("network:digest", kwargs={"pk": self.pk})


class Delivery(models.Model):
    """The ledger: one row per (digest, recipient), written before anything is sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("emails", "Sent")
        FAILED = "failed", pgettext_lazy("emails", "Failed")

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a chunk task was last queued for this row. A queued row whose task has not claimed it
    # within the lease is queued again; a row with a recent one is not queued twice.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # The mail server's reply code for the last failure: 4xx means try later, 5xx refused for good.
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # For personal digests: the items chosen for this person, fixed when the row is written.
    items = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["digest", "recipient"], name="delivery_once_per_recipient")
        ]
        indexes = [
            models.Index(fields=["digest", "status"]),
            # The minutely sweep looks for rows still to send across every digest; only those.
            models.Index(
                fields=["status", "dispatched_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="delivery_still_to_send",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.digest} to {self.recipient}"


class DigestedItem(models.Model):
    """What a person's personal digests have already carried, so nothing appears twice."""

    class Kind(models.TextChoices):
        CASE_STUDY = "case_study", _("Case study")
        RESOURCE = "resource", _("Resource")
        THREAD = "thread", _("Discussion thread")
        EVENT = "event", _("Event")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "object_id"], name="digested_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id} sent to {self.user_id}"


# --- Following and saving ------------------------------------------------------------------------


class FollowQuerySet(models.QuerySet):
    def of(self, user) -> FollowQuerySet:
        return self.filter(user=user)


class Follow(models.Model):
    """One thing a person follows: exactly one of an organisation, a pillar, a region or a tag."""

    KINDS = ("organisation", "pillar", "region", "tag")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    organisation = models.ForeignKey(
        "anchors.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    tag = models.ForeignKey("taggit.Tag", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, pillar__isnull=True, region__isnull=True, tag__isnull=True)
                    | Q(organisation__isnull=True, pillar__isnull=False, region__isnull=True, tag__isnull=True)
                    | Q(organisation__isnull=True, pillar__isnull=True, region__isnull=False, tag__isnull=True)
                    | Q(organisation__isnull=True, pillar__isnull=True, region__isnull=True, tag__isnull=False)
                ),
                name="follow_exactly_one_thing",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", kind], condition=Q(**{f"{kind}__isnull": False}), name=f"follow_{kind}_once"
                )
                for kind in ("organisation", "pillar", "region", "tag")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.kind} {self.thing}"

    @property
    def kind(self) -> str:
        return next(kind for kind in self.KINDS if getattr(self, f"{kind}_id"))

    @property
    def thing(self):
        return getattr(self, self.kind)


class SavedItem(models.Model):
    """A case study or a resource a person saved to read again: exactly one of the two."""

    KINDS = ("case_study", "resource")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_items")
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case_study__isnull=False, resource__isnull=True)
                | Q(case_study__isnull=True, resource__isnull=False),
                name="saved_item_exactly_one",
            ),
            models.UniqueConstraint(
                fields=["user", "case_study"], condition=Q(case_study__isnull=False), name="saved_case_study_once"
            ),
            models.UniqueConstraint(
                fields=["user", "resource"], condition=Q(resource__isnull=False), name="saved_resource_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} saved {self.item}"

    @property
    def kind(self) -> str:
        return next(kind for kind in self.KINDS if getattr(self, f"{kind}_id"))

    @property
    def item(self):
        return getattr(self, self.kind)
