from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# An email domain as people type it after the @: lowercase labels separated by dots.
DOMAIN_PATTERN = r"^(?=.{3,253}$)([a-z0-9-]+\.)+[a-z]{2,}$"


def _in_welsh() -> bool:
    return (get_language() or "").split("-")[0] == "cy"


class Region(models.Model):
    """A region of the UK-wide network (NHS England regions plus the devolved nations)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_cy = models.CharField(
        _("name in Welsh"), max_length=100, blank=True,
        help_text=_("Shown on the Welsh pages. Left blank, they show the English name."),
    )
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name to show people: the Welsh name on a Welsh page when there is one."""
        return self.name_cy if self.name_cy and _in_welsh() else self.name


class Pillar(models.Model):
    """One of the areas in which an anchor institution acts. Data, so coordinators can add one."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    name_cy = models.CharField(
        _("name in Welsh"), max_length=120, blank=True,
        help_text=_("Shown on the Welsh pages. Left blank, they show the English name."),
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("pillar")
        verbose_name_plural = _("pillars")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name to show people: the Welsh name on a Welsh page when there is one."""
        return self.name_cy if self.name_cy and _in_welsh() else self.name


class IntegratedCareBoard(models.Model):
    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=150)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="icbs")
    closed_on = models.DateField(null=True, blank=True, help_text=_("Set when the ICB merges or closes."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("integrated care board")
        verbose_name_plural = _("integrated care boards")

    def __str__(self) -> str:
        return self.name


class OrganisationQuerySet(models.QuerySet):
    def verified(self) -> OrganisationQuerySet:
        return self.filter(status=Organisation.Status.VERIFIED)

    def listed(self) -> OrganisationQuerySet:
        """NHS organisations from the ODS import that may be registered (or registered again)."""
        return self.filter(
            status__in=[Organisation.Status.LISTED, Organisation.Status.DECLINED], closed_on__isnull=True
        )

    def awaiting_verification_by(self, user) -> OrganisationQuerySet:
        """Pending organisations this person may verify, oldest registration first."""
        pending = self.filter(status=Organisation.Status.PENDING)
        if not is_coordinator(user):
            pending = pending.filter(region_id__in=lead_region_ids(user))
        return pending.select_related("region", "registered_by").order_by("registered_at", "pk")

    def visible_to(self, user) -> OrganisationQuerySet:
        """Verified organisations, plus the unverified ones this person may see."""
        if not user.is_authenticated:
            return self.verified()
        if is_coordinator(user):
            return self.all()
        return self.filter(
            Q(status=Organisation.Status.VERIFIED)
            | Q(registered_by=user)
            | Q(region_id__in=lead_region_ids(user))
        )


class Organisation(models.Model):
    class Type(models.TextChoices):
        ACUTE_TRUST = "acute_trust", _("Acute trust")
        MENTAL_HEALTH_TRUST = "mental_health_trust", _("Mental health trust")
        COMMUNITY_TRUST = "community_trust", _("Community trust")
        AMBULANCE_TRUST = "ambulance_trust", _("Ambulance trust")
        ICB = "icb", _("Integrated care board")
        HEALTH_BOARD = "health_board", _("Health board")
        HSC_TRUST = "hsc_trust", _("Health and social care trust")
        LOCAL_AUTHORITY = "local_authority", _("Local authority")
        UNIVERSITY = "university", _("University")
        HOUSING_ASSOCIATION = "housing_association", _("Housing association")
        VOLUNTARY_SECTOR = "voluntary_sector", _("Voluntary sector organisation")

    PARTNER_TYPES = (
        Type.LOCAL_AUTHORITY,
        Type.UNIVERSITY,
        Type.HOUSING_ASSOCIATION,
        Type.VOLUNTARY_SECTOR,
    )

    class Status(models.TextChoices):
        LISTED = "listed", _("Listed (imported, not registered)")
        PENDING = "pending", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        DECLINED = "declined", _("Declined")

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    ods_code = models.CharField(_("ODS code"), max_length=10, blank=True)
    type = models.CharField(max_length=32, choices=Type.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organisations")
    icb = models.ForeignKey(
        IntegratedCareBoard,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("integrated care board"),
    )
    website = models.URLField(blank=True)
    email_domains = models.JSONField(
        default=list, blank=True, help_text=_("Domains its staff's email addresses use.")
    )
    description = models.TextField(blank=True)
    pledge = models.TextField(_("anchor pledge"), blank=True)
    pillars = models.ManyToManyField(Pillar, blank=True, related_name="organisations")
    postcode = models.CharField(max_length=10, blank=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registered_organisations",
    )
    registered_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["ods_code"], condition=~Q(ods_code=""), name="organisation_ods_code_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"]),
            models.Index(fields=["status", "region", "type"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("anchors:organisation", kwargs={"slug": self.slug})

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    @property
    def is_partner(self) -> bool:
        return self.type in self.PARTNER_TYPES


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(status=Membership.Status.ACTIVE)

    def admins(self) -> MembershipQuerySet:
        return self.active().filter(role=Membership.Role.ADMIN)

    def requested(self) -> MembershipQuerySet:
        return self.filter(status=Membership.Status.REQUESTED)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        ADMIN = "admin", _("Admin")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        LEFT = "left", _("Left")
        REMOVED = "removed", _("Removed by an admin")

    LIVE_STATUSES = (Status.REQUESTED, Status.ACTIVE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.TextField(blank=True, help_text=_("Why the person asked to join."))
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # When the membership ended (the person left, or an admin removed them), by whom and why.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.TextField(blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(status__in=["requested", "active"]),
                name="membership_one_live_per_person_and_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.organisation} ({self.get_status_display()})"


class MembershipEvent(models.Model):
    """One step in a membership's history: who did what, and when."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Asked to join")
        APPROVED_AUTOMATICALLY = "approved_automatically", _("Approved automatically (email domain)")
        APPROVED = "approved", _("Approved by an admin")
        DECLINED = "declined", _("Declined by an admin")
        FIRST_ADMIN = "first_admin", _("Became the first admin when the organisation was verified")
        ADMIN_APPOINTED = "admin_appointed", _("Appointed as an admin")
        ADMIN_ROLE_REMOVED = "admin_role_removed", _("Admin role removed")
        REMOVED = "removed", _("Removed by an admin")
        LEFT = "left", _("Left")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.membership})"


class SharedEmailDomain(models.Model):
    """An email domain many organisations share (nhs.net, gov.uk, gmail.com...). A verified
    address there says nothing about where a person works, so it never admits anyone to an
    organisation and an organisation cannot claim it. Coordinators keep the list in the admin."""

    domain = models.CharField(
        max_length=253,
        unique=True,
        validators=[RegexValidator(DOMAIN_PATTERN, _("Enter a domain in lowercase, like nhs.net."))],
        help_text=_(
            "Exactly as it follows the @, in lowercase. Subdomains are not covered: "
            "listing nhs.uk leaves nhct.nhs.uk free for its own trust."
        ),
    )
    note = models.CharField(max_length=200, blank=True, help_text=_("Who uses it, for the next coordinator."))

    class Meta:
        ordering = ["domain"]
        verbose_name = _("shared email domain")
        verbose_name_plural = _("shared email domains")
        constraints = [
            models.CheckConstraint(condition=Q(domain=Lower("domain")), name="shared_email_domain_lowercase"),
        ]

    def __str__(self) -> str:
        return self.domain


def shared_domains_in(domains: Iterable[str]) -> list[str]:
    """Those of `domains` that are shared email domains, normalised and sorted. The one place
    that decides it: a domain matches only exactly (nhs.uk is shared, nhct.nhs.uk is not)."""
    wanted = {d.strip().lower().lstrip("@") for d in domains if d and d.strip()}
    if not wanted:
        return []
    return sorted(SharedEmailDomain.objects.filter(domain__in=wanted).values_list("domain", flat=True))


def is_shared_domain(domain: str) -> bool:
    return bool(shared_domains_in([domain]))


class RegionalLead(models.Model):
    """An appointment of a person as a regional lead for one region."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_appointments"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="lead_appointments")
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__name", "user__full_name"]
        verbose_name = _("regional lead")
        verbose_name_plural = _("regional leads")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="regional_lead_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} leads {self.region}"


class Coordinator(models.Model):
    """An appointed network coordinator. Django superusers are coordinators too."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator"
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = _("network coordinator")
        verbose_name_plural = _("network coordinators")

    def __str__(self) -> str:
        return str(self.user)


# --- Roles -------------------------------------------------------------------------------------
# Small, cached-per-request questions every app asks about a person. They are the one place
# the network's roles are decided. All of them are answered from one query per person per request
# (`_roles`), kept on the user object until `forget_roles` drops it.


class _Roles:
    __slots__ = ("coordinator", "lead_region_ids", "organisation_ids", "admin_organisation_ids")

    def __init__(self, coordinator, lead_region_ids, organisation_ids, admin_organisation_ids):
        self.coordinator = coordinator
        self.lead_region_ids = lead_region_ids
        self.organisation_ids = organisation_ids
        self.admin_organisation_ids = admin_organisation_ids


_NO_ROLES = _Roles(False, frozenset(), frozenset(), frozenset())


def _roles(user) -> _Roles:
    """Everything the role questions need, in one query: a UNION ALL of (kind, id) rows, where
    kind is "coordinator", "lead" (id: region) or a membership role (id: organisation)."""
    if not getattr(user, "is_authenticated", False):
        return _NO_ROLES
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    coordinators = (
        Coordinator.objects.filter(user=user).order_by()
        .annotate(kind=models.Value("coordinator", output_field=models.CharField()), ref=models.F("pk"))
        .values_list("kind", "ref")
    )
    leads = (
        RegionalLead.objects.filter(user=user).order_by()
        .annotate(kind=models.Value("lead", output_field=models.CharField()), ref=models.F("region_id"))
        .values_list("kind", "ref")
    )
    memberships = (
        Membership.objects.active().filter(user=user).order_by()
        .annotate(kind=models.F("role"), ref=models.F("organisation_id"))
        .values_list("kind", "ref")
    )
    coordinator = False
    regions: set[int] = set()
    organisations: set[int] = set()
    admin_of: set[int] = set()
    for row_kind, ref in coordinators.union(leads, memberships, all=True):
        if row_kind == "coordinator":
            coordinator = True
        elif row_kind == "lead":
            regions.add(ref)
        else:
            organisations.add(ref)
            if row_kind == Membership.Role.ADMIN:
                admin_of.add(ref)
    cached = _Roles(coordinator, frozenset(regions), frozenset(organisations), frozenset(admin_of))
    user._roles_cache = cached
    return cached


def is_coordinator(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return _roles(user).coordinator


def lead_region_ids(user) -> frozenset[int]:
    """Regions this person leads (empty for visitors)."""
    return _roles(user).lead_region_ids


def can_moderate_region(user, region_id: int) -> bool:
    """Regional leads for that region, and coordinators anywhere."""
    return is_coordinator(user) or region_id in lead_region_ids(user)


def active_organisation_ids(user) -> frozenset[int]:
    """Organisations this person is an active member (or admin) of."""
    return _roles(user).organisation_ids


def is_member_of(user, organisation_id: int) -> bool:
    return organisation_id in active_organisation_ids(user)


def is_admin_of(user, organisation_id: int) -> bool:
    """An active admin of that organisation."""
    return organisation_id in _roles(user).admin_organisation_ids


def region_moderator_emails(region_id: int) -> list[str]:
    """Who hears about work waiting in a region: its regional leads, or every coordinator when
    the region has no lead (so nothing waits unseen)."""
    from django.contrib.auth import get_user_model

    leads = list(
        RegionalLead.objects.filter(region_id=region_id, user__is_active=True)
        .values_list("user__email", flat=True)
        .distinct()
    )
    if leads:
        return sorted(leads)
    people = get_user_model().objects.filter(is_active=True)
    return sorted(
        people.filter(Q(coordinator__isnull=False) | Q(is_superuser=True))
        .values_list("email", flat=True)
        .distinct()
    )


def forget_roles(user) -> None:
    """Drop the per-request role caches after a change to this person's roles."""
    if hasattr(user, "_roles_cache"):
        del user._roles_cache
