"""Template helpers that render Django forms with the NHS.UK design system's markup."""

from django import template
from django.forms import BoundField
from django.utils.http import urlencode

register = template.Library()

CHOICE_WIDGETS = {"checkboxselectmultiple", "radioselect"}
WIDGET_CLASSES = {
    "textarea": "nhsuk-textarea",
    "select": "nhsuk-select",
    "selectmultiple": "nhsuk-select",
    "clearablefile": "nhsuk-file-upload",
    "file": "nhsuk-file-upload",
}


def hint_id(field: BoundField) -> str:
    return f"{field.auto_id}-hint"


def error_id(field: BoundField) -> str:
    return f"{field.auto_id}-error"


@register.filter
def field_kind(field: BoundField) -> str:
    """Which NHS.UK component renders this field."""
    kind = field.widget_type
    if kind in CHOICE_WIDGETS:
        return "checkboxes" if kind == "checkboxselectmultiple" else "radios"
    if kind == "checkbox":
        return "checkbox"
    if kind == "hidden":
        return "hidden"
    return "input"


@register.filter
def error_anchor(field: BoundField) -> str:
    """The id an error summary link should jump to: the first option of a choice group."""
    if field.widget_type in CHOICE_WIDGETS:
        return f"{field.auto_id}_0"
    return field.auto_id


@register.simple_tag
def nhsuk_widget(field: BoundField, width: str = ""):
    """The field's widget with the design system's classes and ARIA descriptions."""
    base = WIDGET_CLASSES.get(field.widget_type, "nhsuk-input")
    classes = [base]
    if field.errors:
        classes.append(f"{base}--error")
    if width:
        classes.append(f"nhsuk-u-width-{width}")
    existing = field.field.widget.attrs.get("class")
    if existing:
        classes.append(existing)
    described_by = []
    if field.help_text:
        described_by.append(hint_id(field))
    if field.errors:
        described_by.append(error_id(field))
    # Placeholders vanish as people type and are not read reliably; labels and hints do the job.
    field.field.widget.attrs.pop("placeholder", None)
    attrs = {"class": " ".join(classes)}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def described_by(field: BoundField) -> str:
    ids = []
    if field.help_text:
        ids.append(hint_id(field))
    if field.errors:
        ids.append(error_id(field))
    return " ".join(ids)


@register.simple_tag
def is_checked(subwidget) -> bool:
    return bool(subwidget.data.get("selected"))


@register.inclusion_tag("includes/nhsuk/error_summary.html")
def nhsuk_error_summary(*forms):
    """One error summary for one or more forms, each error linked to its field."""
    items = []
    for form in forms:
        if not hasattr(form, "is_bound") or not form.is_bound or not form.errors:
            continue
        for error in form.non_field_errors():
            items.append({"anchor": "", "message": error})
        for field in form:
            for error in field.errors:
                items.append({"anchor": error_anchor(field), "message": error})
    return {"items": items}


@register.inclusion_tag("includes/nhsuk/field.html")
def nhsuk_field(field: BoundField, width: str = "", label_size: str = ""):
    return {"field": field, "width": width, "label_size": label_size}


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"
