from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..models import GroupMembership

register = template.Library()


@register.filter
def post_html(post) -> SafeString:
    """A post's HTML as stored when it was written (rendered and sanitised then), so showing
    a thread never renders Markdown. A post stored without it shows its text, escaped."""
    if post.body_html:
        return mark_safe(post.body_html)  # noqa: S308 - sanitised by render_markdown when saved
    return linebreaks_filter(post.body, autoescape=True)


@register.filter
def author_name(person, former: str | None = None) -> str:
    """Who wrote something: their name, or "Former member" (or the text given) once their
    account is deleted."""
    if person is None:
        return gettext("Former member") if former is None else former
    return person.full_name or person.email


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
