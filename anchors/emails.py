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
