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
