from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from accounts.templatetags.nhsuk import nhsuk_error_summary
from evidence.units import format_free_text

from ..models import CaseStudy

register = template.Library()


@register.filter
def written_in(text: str, language: str):
    """Member-written text inside a translated sentence, marked with the language it was
    written in: {% blocktranslate with title=case_study.title|written_in:case_study.language %}."""
    return format_html('<span lang="{}">{}</span>', language, text)


@register.filter
def outcome_value(value, unit: str = "") -> str:
    """An outcome measure's value with its unit, the UK way: £420,000, £1,234.50, 61%,
    1,200 people. The same rules as the standard measures' values (`evidence.units`)."""
    return format_free_text(value, unit)


@register.filter
def snippet(text: str):
    """A ts_headline snippet: escape everything, then restore only our own <mark> tags."""
    escaped = escape(text or "")
    return mark_safe(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))  # noqa: S308


@register.inclusion_tag("includes/nhsuk/error_summary.html")
def case_study_error_summary(form, formset=None):
    """One error summary for the case study form and every outcome measure row."""
    forms = [form, *(formset.forms if formset is not None else [])]
    context = nhsuk_error_summary(*forms)
    if formset is not None and formset.was_changed_in_transit:
        context["items"].insert(0, {"anchor": "measures", "message": formset.CHANGED_MESSAGE})
    return context


@register.inclusion_tag("casestudies/_organisation_list.html")
def organisation_case_studies(organisation, limit: int = 10):
    case_studies = list(
        CaseStudy.objects.published()
        .filter(organisation=organisation)
        .defer("search_vector", "context", "approach", "outcomes", "lessons", "next_steps")
        .order_by("-published_at", "-pk")[: limit + 1]
    )
    return {"case_studies": case_studies[:limit], "more": len(case_studies) > limit, "organisation": organisation}


@register.inclusion_tag("casestudies/_status_tag.html")
def case_study_status(status: str):
    colours = {
        "draft": "grey", "submitted": "blue", "changes_requested": "orange",
        "published": "green", "rejected": "red", "archived": "grey",
    }
    return {"label": CaseStudy.Status(status).label, "colour": colours.get(status, "grey")}
