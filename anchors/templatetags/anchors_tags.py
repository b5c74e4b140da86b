from django import template

from anchors.models import Membership, Organisation, is_coordinator, lead_region_ids

register = template.Library()


@register.inclusion_tag("anchors/_account_memberships.html", takes_context=True)
def anchors_account_section(context):
    """The person's organisations, requests and role pages, for the account page."""
    user = context["request"].user
    memberships = (
        Membership.objects.filter(user=user, status__in=Membership.LIVE_STATUSES)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    coordinator = is_coordinator(user)
    moderator = coordinator or bool(lead_region_ids(user))
    return {
        "active": [m for m in memberships if m.status == Membership.Status.ACTIVE],
        "requested": [m for m in memberships if m.status == Membership.Status.REQUESTED],
        "registered": Organisation.objects.filter(
            registered_by=user, status__in=[Organisation.Status.PENDING, Organisation.Status.DECLINED]
        ),
        "is_coordinator": coordinator,
        "is_moderator": moderator,
        "awaiting": Organisation.objects.awaiting_verification_by(user).count() if moderator else 0,
    }
