"""A person's data in the anchors app: memberships and their history, and roles.

Read by accounts through settings.PERSONAL_DATA_PROVIDERS (see accounts/personal_data.py).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from accounts.personal_data import row, rows

from .models import Coordinator, Membership, MembershipEvent, Organisation, RegionalLead

GOES = [
    "your memberships of organisations and their history, and any request to join one that is "
    "still waiting (it is cancelled)",
    "your appointments as an organisation admin, regional lead or network coordinator",
]
STAYS = [
    "organisations you registered stay in the network, without your name",
    "decisions you made as an admin, regional lead or coordinator stay on record, without your name",
]


def export(user) -> dict[str, Any]:
    memberships = Membership.objects.filter(user=user).select_related("organisation").order_by("requested_at")
    events = MembershipEvent.objects.filter(membership__user=user).order_by("at", "pk")
    history: dict[int, list] = {}
    for event in events:
        history.setdefault(event.membership_id, []).append(row(user, event, exclude=["id", "membership"]))
    return {
        "memberships": [
            {**row(user, membership, exclude=["user"]), "history": history.get(membership.pk, [])}
            for membership in memberships
        ],
        "regional_lead_appointments": rows(
            user, RegionalLead.objects.filter(user=user).select_related("region"), exclude=["id", "user"]
        ),
        "network_coordinator": [
            row(user, appointment, exclude=["id", "user"])
            for appointment in Coordinator.objects.filter(user=user)
        ],
        "membership_requests_you_decided": [
            {"organisation": m.organisation.name, "status": m.get_status_display(), "decided_at": m.decided_at}
            for m in Membership.objects.filter(decided_by=user).exclude(user=user).select_related("organisation")
        ],
        "organisations_you_verified_or_declined": [
            {"organisation": o.name, "status": o.get_status_display(), "decided_at": o.decided_at}
            for o in Organisation.objects.filter(decided_by=user).order_by("decided_at")
        ],
        "organisations_you_registered": [
            {"organisation": organisation.name, "registered_at": organisation.registered_at}
            for organisation in Organisation.objects.filter(registered_by=user).order_by("registered_at")
        ],
    }


def deletion_blockers(user) -> list[str]:
    """An organisation whose only admin leaves would have nobody to approve its members: the
    admin appoints another first. A person who is the only member at all may go."""
    reasons = []
    for membership in Membership.objects.admins().filter(user=user).select_related("organisation"):
        organisation = membership.organisation
        others = Membership.objects.active().filter(organisation=organisation).exclude(user=user)
        if others.exists() and not others.filter(role=Membership.Role.ADMIN).exists():
            reasons.append(
                gettext(
                    "You are the only admin of %(name)s. Appoint another of its members "
                    "as an admin first, then come back to delete your account."
                )
                % {"name": organisation.name}
            )
    return reasons


def erase(user) -> None:
    # Pending requests are cancelled with the rest: every membership row and its history goes.
    Membership.objects.filter(user=user).delete()
    RegionalLead.objects.filter(user=user).delete()
    Coordinator.objects.filter(user=user).delete()
    Organisation.objects.filter(registered_by=user).update(registered_by=None)
