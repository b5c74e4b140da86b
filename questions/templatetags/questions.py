from django import template

from ..selectors import shows_ask_link

register = template.Library()


@register.simple_tag
def ask_link_shown(case_study) -> bool:
    """Whether the case-study page offers "Ask a question": the same for every reader, so the
    page stays shareable in the visitors' cache."""
    return shows_ask_link(case_study)
