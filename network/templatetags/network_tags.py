from django import template

from casestudies.markdown import render_markdown

from ..models import GroupMembership

register = template.Library()


@register.filter
def markdown(text: str):
    """Member-written Markdown, sanitised."""
    return render_markdown(text or "")


@register.inclusion_tag("network/_my_groups.html", takes_context=True)
def my_groups(context):
    user = context["request"].user
    memberships = (
        GroupMembership.objects.filter(
            user=user,
            status__in=[GroupMembership.Status.ACTIVE, GroupMembership.Status.REQUESTED],
        )
        .select_related("group")
        .order_by("group__name")
    )
    return {"memberships": memberships}


@register.simple_tag(takes_context=True)
def digest_preferences(context):
    """The signed-in person's digest preferences (the defaults if they never saved any)."""
    from anchors.models import is_coordinator

    from ..models import DigestPreference

    user = context["request"].user
    context["is_coordinator"] = is_coordinator(user)
    return DigestPreference.objects.filter(user=user).first() or DigestPreference(user=user)
