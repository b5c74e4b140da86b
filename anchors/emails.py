"""Emails about organisations and memberships: one small function per message."""

from __future__ import annotations

from django.urls import reverse

from accounts.mail import absolute_url, queue_email


def organisation_verified(organisation) -> None:
    queue_email(
        to=organisation.registered_by.email,
        template_prefix="anchors/emails/organisation_verified",
        context={
            "organisation": organisation,
            "person": organisation.registered_by,
            "url": absolute_url(organisation.get_absolute_url()),
            "admin_url": absolute_url(reverse("anchors:requests", kwargs={"slug": organisation.slug})),
        },
    )


def organisation_declined(organisation) -> None:
    queue_email(
        to=organisation.registered_by.email,
        template_prefix="anchors/emails/organisation_declined",
        context={"organisation": organisation, "person": organisation.registered_by},
    )


def join_requested(membership, admin_emails: list[str]) -> None:
    queue_email(
        to=admin_emails,
        template_prefix="anchors/emails/join_requested",
        context={
            "membership": membership,
            "organisation": membership.organisation,
            "person": membership.user,
            "url": absolute_url(reverse("anchors:requests", kwargs={"slug": membership.organisation.slug})),
        },
    )


def join_decided(membership) -> None:
    queue_email(
        to=membership.user.email,
        template_prefix="anchors/emails/join_decided",
        context={
            "membership": membership,
            "organisation": membership.organisation,
            "person": membership.user,
            "approved": membership.status == membership.Status.ACTIVE,
            "url": absolute_url(membership.organisation.get_absolute_url()),
        },
    )


def organisation_registered(organisation, moderator_emails: list[str]) -> None:
    """Tell the region's leads (or the coordinators) that a registration waits for them."""
    queue_email(
        to=moderator_emails,
        template_prefix="anchors/emails/organisation_registered",
        context={
            "organisation": organisation,
            "person": organisation.registered_by,
            "url": absolute_url(reverse("anchors:verification_decide", kwargs={"slug": organisation.slug})),
            "queue_url": absolute_url(reverse("anchors:verification")),
        },
    )


def membership_left(membership) -> None:
    queue_email(
        to=membership.user.email,
        template_prefix="anchors/emails/membership_left",
        context={
            "membership": membership,
            "organisation": membership.organisation,
            "person": membership.user,
            "url": absolute_url(membership.organisation.get_absolute_url()),
        },
    )


def membership_removed(membership) -> None:
    queue_email(
        to=membership.user.email,
        template_prefix="anchors/emails/membership_removed",
        context={
            "membership": membership,
            "organisation": membership.organisation,
            "person": membership.user,
            "remover": membership.ended_by,
            "url": absolute_url(membership.organisation.get_absolute_url()),
        },
    )


def admin_appointed(membership, by) -> None:
    slug = membership.organisation.slug
    queue_email(
        to=membership.user.email,
        template_prefix="anchors/emails/admin_appointed",
        context={
            "membership": membership,
            "organisation": membership.organisation,
            "person": membership.user,
            "appointer": by,
            "requests_url": absolute_url(reverse("anchors:requests", kwargs={"slug": slug})),
            "people_url": absolute_url(reverse("anchors:admins", kwargs={"slug": slug})),
            "edit_url": absolute_url(reverse("anchors:edit", kwargs={"slug": slug})),
        },
    )


def regional_lead_appointed(appointment) -> None:
    queue_email(
        to=appointment.user.email,
        template_prefix="anchors/emails/regional_lead_appointed",
        context={
            "appointment": appointment,
            "region": appointment.region,
            "person": appointment.user,
            "appointer": appointment.appointed_by,
            "verification_url": absolute_url(reverse("anchors:verification")),
            "account_url": absolute_url(reverse("accounts:profile")),
        },
    )


def coordinator_appointed(coordinator) -> None:
    queue_email(
        to=coordinator.user.email,
        template_prefix="anchors/emails/coordinator_appointed",
        context={
            "coordinator": coordinator,
            "person": coordinator.user,
            "appointer": coordinator.appointed_by,
            "verification_url": absolute_url(reverse("anchors:verification")),
            "roles_url": absolute_url(reverse("anchors:roles")),
            "admin_url": absolute_url(reverse("admin:index")),
            "account_url": absolute_url(reverse("accounts:profile")),
        },
    )
