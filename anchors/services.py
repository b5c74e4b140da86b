"""Every state change of the network's members: organisations, memberships and roles.

Design of imported NHS organisations: `import_ods` loads the ODS trusts file into ordinary
`Organisation` rows with status **listed** ("in the ODS file, not a member"). Listed rows never
appear in the directory and their profile pages answer 404 to everyone but coordinators and the
region's leads. Registering an NHS organisation means picking a listed row (search by name or
ODS code): it moves to **pending** with the registrant recorded, then a regional lead of its
region or a coordinator verifies or declines it. A declined registration may be made again.
Partner organisations (local authorities, universities...) are not in the ODS file, so the
registrant types their details and a new pending row is created. One table keeps the ODS code
unique across imported and registered organisations, so re-importing the file updates the
same rows and never duplicates a member.

Every function is keyword-only, checks who may act and from which state, runs in a
transaction and queues its emails on commit. Refusals raise `NotAllowed` (views answer 403)
or `InvalidState` (views show the message); both are `AnchorsError`.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from sitecache import content_changed

from . import emails
from .models import (
    Coordinator,
    IntegratedCareBoard,
    Membership,
    MembershipEvent,
    Organisation,
    Pillar,
    Region,
    RegionalLead,
    SharedEmailDomain,
    can_moderate_region,
    forget_roles,
    is_admin_of,
    is_coordinator,
    region_moderator_emails,
    shared_domains_in,
)

COORDINATORS_GROUP = "Coordinators"
# Reference data coordinators keep up to date in the Django admin.
COORDINATOR_MODELS = (Region, Pillar, IntegratedCareBoard, SharedEmailDomain)
# Reference data coordinators may also delete: a shared domain added by mistake must be able to go.
COORDINATOR_DELETABLE_MODELS = (SharedEmailDomain,)


class AnchorsError(Exception):
    """A refused operation; the message is safe to show to the person who tried."""


class NotAllowed(AnchorsError):
    """This person may not do this (views answer 403)."""


class InvalidState(AnchorsError):
    """The thing is not in a state that allows this (already decided, last admin...)."""


class SharedDomain(InvalidState):
    """An organisation cannot claim an email domain that many organisations share."""

    def __init__(self, domains: list[str]):
        self.domains = domains
        super().__init__(shared_domain_message(domains))


def shared_domain_message(domains: list[str]) -> str:
    """The refusal people read in the form and from the services."""
    if len(domains) == 1:
        message = gettext(
            "%(domains)s is shared by many organisations, so it cannot be one of this organisation's "
            "email domains. Remove it: people with these addresses can still ask to join, and an admin decides."
        )
        return message % {"domains": domains[0]}
    message = gettext(
        "%(domains)s and %(last)s are shared by many organisations, so it cannot be one of this organisation's "
        "email domains. Remove it: people with these addresses can still ask to join, and an admin decides."
    )
    return message % {"domains": ", ".join(domains[:-1]), "last": domains[-1]}


class AlreadyRegistered(InvalidState):
    """The organisation is already a member or awaiting verification: ask to join it instead."""

    def __init__(self, organisation: Organisation):
        self.organisation = organisation
        super().__init__(
            gettext("%(name)s is already registered. You can ask to join it instead.") % {"name": organisation.name}
        )


# --- Helpers -----------------------------------------------------------------------------------


def verified_email_domains(user) -> set[str]:
    emails_ = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return {email.rsplit("@", 1)[-1].lower() for email in emails_}


def _require_verified_email(user) -> None:
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed(gettext("Sign in first."))
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise NotAllowed(gettext("Verify your email address first."))


def _unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "organisation"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _admin_emails(organisation: Organisation) -> list[str]:
    return list(
        Membership.objects.admins()
        .filter(organisation=organisation)
        .values_list("user__email", flat=True)
    )


def _lock(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _clean_domains(domains) -> list[str]:
    """Lowercase, without a leading @, each once; refuses shared domains."""
    cleaned = sorted({d.strip().lower().lstrip("@") for d in (domains or []) if d.strip()})
    shared = shared_domains_in(cleaned)
    if shared:
        raise SharedDomain(shared)
    return cleaned


def _record(membership: Membership, action: str, by, note: str = "") -> MembershipEvent:
    return MembershipEvent.objects.create(membership=membership, action=action, by=by, note=note)


# --- Organisations -----------------------------------------------------------------------------


def organisation_register_listed(*, organisation: Organisation, by) -> Organisation:
    """Register an NHS organisation picked from those the ODS import listed."""
    _require_verified_email(by)
    with transaction.atomic():
        organisation = _lock(Organisation, organisation.pk)
        if organisation.status in (Organisation.Status.PENDING, Organisation.Status.VERIFIED):
            raise AlreadyRegistered(organisation)
        if organisation.closed_on:
            raise InvalidState(
                gettext("%(name)s has closed, so it cannot be registered.") % {"name": organisation.name}
            )
        organisation.status = Organisation.Status.PENDING
        organisation.registered_by = by
        organisation.registered_at = timezone.now()
        organisation.decided_by = None
        organisation.decided_at = None
        organisation.decision_reason = ""
        organisation.save()
        emails.organisation_registered(organisation, region_moderator_emails(organisation.region_id))
    return organisation


def organisation_register_partner(
    *,
    by,
    name: str,
    type: str,
    region: Region,
    website: str = "",
    email_domains: list[str] | None = None,
    description: str = "",
) -> Organisation:
    """Register a partner organisation (not in the ODS file) from the details typed in."""
    _require_verified_email(by)
    name = " ".join(name.split())
    if type not in Organisation.PARTNER_TYPES:
        raise InvalidState(gettext("NHS organisations are registered by picking them from the list."))
    email_domains = _clean_domains(email_domains)
    with transaction.atomic():
        existing = Organisation.objects.filter(name__iexact=name).first()
        if existing is not None:
            if existing.status in (Organisation.Status.PENDING, Organisation.Status.VERIFIED):
                raise AlreadyRegistered(existing)
            raise InvalidState(
                gettext("%(name)s is already listed: pick it from the NHS organisations.") % {"name": existing.name}
            )
        organisation = Organisation.objects.create(
            name=name,
            slug=_unique_slug(name),
            type=type,
            region=region,
            website=website,
            email_domains=email_domains,
            description=description,
            status=Organisation.Status.PENDING,
            registered_by=by,
            registered_at=timezone.now(),
        )
        emails.organisation_registered(organisation, region_moderator_emails(organisation.region_id))
    return organisation


def organisation_register(*, by, organisation: Organisation | None = None, **partner_details) -> Organisation:
    """Register a listed NHS organisation (pass `organisation`) or a partner (pass its details)."""
    if organisation is not None:
        return organisation_register_listed(organisation=organisation, by=by)
    return organisation_register_partner(by=by, **partner_details)


def _decide(organisation: Organisation, by, status: str, reason: str) -> Organisation:
    organisation = _lock(Organisation, organisation.pk)
    if not can_moderate_region(by, organisation.region_id):
        raise NotAllowed(gettext("Only a regional lead for its region or a coordinator can decide this."))
    if organisation.status != Organisation.Status.PENDING:
        raise InvalidState(gettext("%(name)s is not awaiting verification.") % {"name": organisation.name})
    organisation.status = status
    organisation.decided_by = by
    organisation.decided_at = timezone.now()
    organisation.decision_reason = reason
    organisation.save()
    return organisation


def organisation_verify(*, organisation: Organisation, by, reason: str = "") -> Organisation:
    """Verify a pending organisation; its registrant becomes its first admin."""
    with transaction.atomic():
        organisation = _decide(organisation, by, Organisation.Status.VERIFIED, reason.strip())
        content_changed()  # it joins the public directory after the commit
        registrant = organisation.registered_by
        if registrant is not None:
            live = Membership.objects.filter(
                user=registrant, organisation=organisation, status__in=Membership.LIVE_STATUSES
            ).first()
            if live is None:
                live = Membership.objects.create(
                    user=registrant,
                    organisation=organisation,
                    role=Membership.Role.ADMIN,
                    status=Membership.Status.ACTIVE,
                    reason="Registered the organisation.",
                    decided_by=by,
                    decided_at=organisation.decided_at,
                )
            else:
                live.role, live.status = Membership.Role.ADMIN, Membership.Status.ACTIVE
                live.decided_by, live.decided_at = by, organisation.decided_at
                live.save()
            _record(live, MembershipEvent.Action.FIRST_ADMIN, by)
            forget_roles(registrant)
            emails.organisation_verified(organisation)
    return organisation


def organisation_decline(*, organisation: Organisation, by, reason: str) -> Organisation:
    reason = reason.strip()
    if not reason:
        raise InvalidState(gettext("Give a reason for declining."))
    with transaction.atomic():
        organisation = _decide(organisation, by, Organisation.Status.DECLINED, reason)
        if organisation.registered_by is not None:
            emails.organisation_declined(organisation)
    return organisation


UPDATABLE_FIELDS = ("description", "pledge", "website", "email_domains")


def organisation_update(*, organisation: Organisation, by, pillars=None, **changes) -> Organisation:
    """Admins (and coordinators) edit the profile and the pledge."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"Cannot update {', '.join(sorted(unknown))}")
    if not (is_admin_of(by, organisation.pk) or is_coordinator(by)):
        raise NotAllowed(gettext("Only the organisation's admins can edit its profile."))
    if "email_domains" in changes:
        changes["email_domains"] = _clean_domains(changes["email_domains"])
    with transaction.atomic():
        organisation = _lock(Organisation, organisation.pk)
        for field, value in changes.items():
            setattr(organisation, field, value)
        organisation.save()
        if pillars is not None:
            organisation.pillars.set(pillars)
        content_changed()  # its public profile and the directory change after the commit
    return organisation


# --- Memberships -------------------------------------------------------------------------------


def membership_request(*, organisation: Organisation, by, reason: str) -> Membership:
    """Ask to join; approved at once when a verified email domain is one of the organisation's,
    unless that domain is shared by many organisations (nhs.net, gmail.com...): then, as for
    anyone else, the organisation's admins decide."""
    _require_verified_email(by)
    reason = reason.strip()
    if not reason:
        raise InvalidState(gettext("Say why you want to join."))
    with transaction.atomic():
        organisation = _lock(Organisation, organisation.pk)
        if organisation.status != Organisation.Status.VERIFIED:
            raise InvalidState(
                gettext("%(name)s is not a verified member of the network.") % {"name": organisation.name}
            )
        live = Membership.objects.filter(
            user=by, organisation=organisation, status__in=Membership.LIVE_STATUSES
        ).first()
        if live is not None:
            if live.status == Membership.Status.ACTIVE:
                raise InvalidState(gettext("You already belong to %(name)s.") % {"name": organisation.name})
            raise InvalidState(gettext("You have already asked to join %(name)s.") % {"name": organisation.name})
        matching = {d.lower() for d in organisation.email_domains} & verified_email_domains(by)
        # An organisation may still hold a shared domain saved before it was listed as shared.
        automatic = bool(matching - set(shared_domains_in(matching)))
        now = timezone.now()
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=by,
                    organisation=organisation,
                    reason=reason,
                    status=Membership.Status.ACTIVE if automatic else Membership.Status.REQUESTED,
                    decided_at=now if automatic else None,
                    decision_reason="Approved automatically: email domain." if automatic else "",
                )
        except IntegrityError as error:  # a second click racing the first
            raise InvalidState(
                gettext("You have already asked to join %(name)s.") % {"name": organisation.name}
            ) from error
        _record(membership, MembershipEvent.Action.REQUESTED, by, reason)
        if automatic:
            _record(membership, MembershipEvent.Action.APPROVED_AUTOMATICALLY, None, membership.decision_reason)
            forget_roles(by)
            emails.join_decided(membership)
        else:
            emails.join_requested(membership, _admin_emails(organisation))
    return membership


def _decide_membership(membership: Membership, by, status: str, reason: str) -> Membership:
    membership = _lock(Membership, membership.pk)
    if not is_admin_of(by, membership.organisation_id):
        raise NotAllowed(gettext("Only the organisation's admins can decide requests to join."))
    if membership.status != Membership.Status.REQUESTED:
        raise InvalidState(gettext("This request has already been decided."))
    membership.status = status
    membership.decided_by = by
    membership.decided_at = timezone.now()
    membership.decision_reason = reason
    membership.save()
    approved = status == Membership.Status.ACTIVE
    _record(membership, MembershipEvent.Action.APPROVED if approved else MembershipEvent.Action.DECLINED, by, reason)
    forget_roles(membership.user)
    emails.join_decided(membership)
    return membership


def membership_approve(*, membership: Membership, by) -> Membership:
    with transaction.atomic():
        return _decide_membership(membership, by, Membership.Status.ACTIVE, "")


def membership_decline(*, membership: Membership, by, reason: str = "") -> Membership:
    with transaction.atomic():
        return _decide_membership(membership, by, Membership.Status.DECLINED, reason.strip())


def _other_admins(membership: Membership) -> int:
    return (
        Membership.objects.admins()
        .filter(organisation_id=membership.organisation_id)
        .exclude(pk=membership.pk)
        .count()
    )


def _refuse_last_admin(membership: Membership, message: str) -> None:
    if membership.role == Membership.Role.ADMIN and _other_admins(membership) == 0:
        raise InvalidState(message)


def membership_leave(*, membership: Membership, by) -> Membership:
    """Leave an organisation. The last admin must appoint another admin first."""
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        if membership.user_id != by.pk:
            raise NotAllowed(gettext("Only the person themselves can leave."))
        if membership.status != Membership.Status.ACTIVE:
            raise InvalidState(gettext("You are not an active member."))
        _refuse_last_admin(membership, gettext("You are the only admin: appoint another admin before you leave."))
        membership.status = Membership.Status.LEFT
        membership.ended_at = timezone.now()
        membership.ended_by = by
        membership.save()
        _record(membership, MembershipEvent.Action.LEFT, by)
        emails.membership_left(membership)
    forget_roles(by)
    return membership


def membership_remove(*, membership: Membership, by, reason: str = "") -> Membership:
    """An admin removes someone from the organisation; the person is told who did it and why."""
    reason = reason.strip()
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        if not is_admin_of(by, membership.organisation_id):
            raise NotAllowed(gettext("Only the organisation's admins can remove members."))
        if membership.status != Membership.Status.ACTIVE:
            raise InvalidState(
                gettext("%(person)s is not a member of %(name)s.")
                % {"person": membership.user, "name": membership.organisation}
            )
        yourself = membership.user_id == by.pk
        if yourself:
            last_admin = gettext("You are the only admin: appoint another admin first.")
        else:
            last_admin = gettext("%(person)s is the only admin: appoint another admin first.") % {
                "person": membership.user
            }
        _refuse_last_admin(membership, last_admin)
        if yourself:
            raise InvalidState(gettext("To leave the organisation yourself, use the leave page."))
        membership.status = Membership.Status.REMOVED
        membership.ended_at = timezone.now()
        membership.ended_by = by
        membership.end_reason = reason
        membership.save()
        _record(membership, MembershipEvent.Action.REMOVED, by, reason)
        emails.membership_removed(membership)
    forget_roles(membership.user)
    return membership


def admin_appoint(*, membership: Membership, by) -> Membership:
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        if not is_admin_of(by, membership.organisation_id):
            raise NotAllowed(gettext("Only the organisation's admins can appoint admins."))
        if membership.status != Membership.Status.ACTIVE:
            raise InvalidState(gettext("Only active members can become admins."))
        if membership.role == Membership.Role.ADMIN:
            raise InvalidState(gettext("%(person)s is already an admin.") % {"person": membership.user})
        membership.role = Membership.Role.ADMIN
        membership.save()
        _record(membership, MembershipEvent.Action.ADMIN_APPOINTED, by)
        emails.admin_appointed(membership, by)
    return membership


def admin_remove(*, membership: Membership, by) -> Membership:
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        if not is_admin_of(by, membership.organisation_id):
            raise NotAllowed(gettext("Only the organisation's admins can remove admins."))
        if membership.status != Membership.Status.ACTIVE or membership.role != Membership.Role.ADMIN:
            raise InvalidState(gettext("%(person)s is not an admin.") % {"person": membership.user})
        if _other_admins(membership) == 0:
            raise InvalidState(gettext("An organisation needs at least one admin."))
        membership.role = Membership.Role.MEMBER
        membership.save()
        _record(membership, MembershipEvent.Action.ADMIN_ROLE_REMOVED, by)
    forget_roles(by)  # they may have stepped down themselves
    return membership


# --- Roles -------------------------------------------------------------------------------------


def _require_coordinator(by) -> None:
    if not is_coordinator(by):
        raise NotAllowed(gettext("Only coordinators can appoint or remove roles."))


def regional_lead_appoint(*, user, region: Region, by) -> RegionalLead:
    _require_coordinator(by)
    with transaction.atomic():
        if RegionalLead.objects.filter(user=user, region=region).exists():
            raise InvalidState(gettext("%(person)s already leads %(region)s.") % {"person": user, "region": region.label})
        appointment = RegionalLead.objects.create(user=user, region=region, appointed_by=by)
        emails.regional_lead_appointed(appointment)
    forget_roles(user)
    return appointment


def regional_lead_remove(*, appointment: RegionalLead, by) -> None:
    _require_coordinator(by)
    with transaction.atomic():
        deleted, _ = RegionalLead.objects.filter(pk=appointment.pk).delete()
        if not deleted:
            raise InvalidState(gettext("That appointment has already been removed."))
    forget_roles(appointment.user)


def coordinators_group() -> Group:
    """The Django auth group that lets coordinators edit reference data in the admin."""
    group, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    editable = [m._meta.model_name for m in COORDINATOR_MODELS]
    deletable = [m._meta.model_name for m in COORDINATOR_DELETABLE_MODELS]
    wanted = Permission.objects.filter(
        Q(content_type__app_label="anchors")
        & (
            (
                Q(content_type__model__in=editable)
                & (Q(codename__startswith="view_") | Q(codename__startswith="change_") | Q(codename__startswith="add_"))
            )
            | (Q(content_type__model__in=deletable) & Q(codename__startswith="delete_"))
        )
    )
    group.permissions.add(*wanted)
    return group


def coordinator_appoint(*, user, by) -> Coordinator:
    _require_coordinator(by)
    with transaction.atomic():
        if Coordinator.objects.filter(user=user).exists():
            raise InvalidState(gettext("%(person)s is already a coordinator.") % {"person": user})
        coordinator = Coordinator.objects.create(user=user, appointed_by=by)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(coordinators_group())
        emails.coordinator_appointed(coordinator)
    forget_roles(user)
    return coordinator


def coordinator_remove(*, coordinator: Coordinator, by) -> None:
    _require_coordinator(by)
    if coordinator.user_id == by.pk:
        raise InvalidState(gettext("You cannot remove yourself; ask another coordinator."))
    with transaction.atomic():
        deleted, _ = Coordinator.objects.filter(pk=coordinator.pk).delete()
        if not deleted:
            raise InvalidState(gettext("That coordinator has already been removed."))
        user = coordinator.user
        user.groups.remove(*Group.objects.filter(name=COORDINATORS_GROUP))
        if not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    forget_roles(coordinator.user)
