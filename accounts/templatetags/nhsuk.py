"""Template helpers that render Django forms with the NHS.UK design system's markup."""

from django import template
from django.forms import BaseForm, BaseFormSet, BoundField
from django.utils.http import urlencode
from django.utils.translation import gettext as _

register = template.Library()

CHOICE_WIDGETS = {"checkboxselectmultiple", "radioselect"}
WIDGET_CLASSES = {
    "textarea": "nhsuk-textarea",
    "select": "nhsuk-select",
    "selectmultiple": "nhsuk-select",
    "clearablefile": "nhsuk-file-upload",
    "file": "nhsuk-file-upload",
}


# Django's own wording for these says nothing about which field is wrong; the NHS pattern
# names the field ("Enter your reason", "Select a region"). Forms that set their own
# error_messages keep them: only Django's defaults are replaced.
GENERIC_CODES = {"required", "invalid_choice"}


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


@register.filter
def label_text(field: BoundField) -> str:
    """The field's label, saying "(optional)" once when the field may be left empty."""
    label = str(field.label or "")
    if field.field.required or field.widget_type == "password":
        return label
    if label.lower().rstrip().endswith(_optional()):
        return label
    return f"{label} {_optional()}"


def _optional() -> str:
    return _("(optional)")


def _plain_label(field: BoundField) -> str:
    label = str(field.label or field.name).strip()
    if label.lower().endswith(_optional()):
        label = label[: -len(_optional())].rstrip()
    # "Region" reads "Select region"; an acronym such as "ODS code" keeps its capitals.
    if len(label) > 1 and not label[1].isupper():
        label = label[0].lower() + label[1:]
    return label


def _default_messages(field: BoundField) -> dict:
    messages: dict = {}
    for cls in reversed(type(field.field).__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


def _named_message(field: BoundField, code: str) -> str:
    label = _plain_label(field)
    kind = field.widget_type
    if kind == "checkbox":
        return _("Select “%(label)s” to continue") % {"label": field.label}
    if kind in {"select", "selectmultiple", "checkboxselectmultiple", "radioselect"}:
        if code == "invalid_choice":
            return _("Select one of the options shown for %(label)s") % {"label": label}
        return _("Select %(label)s") % {"label": label}
    if kind in {"file", "clearablefile"}:
        return _("Choose a file for %(label)s") % {"label": label}
    return _("Enter %(label)s") % {"label": label}


def error_messages(field: BoundField) -> list[str]:
    """The field's error messages, with Django's generic ones replaced by ones naming it."""
    defaults = _default_messages(field)
    messages = []
    for error in field.errors.as_data():
        code = getattr(error, "code", None)
        if code in GENERIC_CODES and code in defaults and str(error.message) == str(defaults[code]):
            messages.append(_named_message(field, code))
        else:
            messages.extend(error.messages)
    return messages


@register.simple_tag
def field_errors(field: BoundField) -> list[str]:
    return error_messages(field)


def _has_errors(value) -> bool:
    # Only forms a view has already validated: asking a bound form for .errors runs its
    # clean(), which for some (sign-in) has side effects such as rate limiting.
    if isinstance(value, BaseForm):
        return value.is_bound and value._errors is not None and bool(value._errors)
    if isinstance(value, BaseFormSet):
        if not value.is_bound or value._errors is None:
            return False
        return bool(value.non_form_errors()) or any(value._errors)
    return False


def page_has_form_errors(context) -> bool:
    # Never touch the lazy csrf_token: evaluating it sets a CSRF cookie on every page, which
    # would keep visitors' pages out of the page cache.
    return any(_has_errors(value) for key, value in context.flatten().items() if key != "csrf_token")


class ErrorTitleNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        title = self.nodelist.render(context)
        prefix = _("Error:")
        if page_has_form_errors(context) and not title.lstrip().startswith(prefix):
            return f"{prefix} {title.lstrip()}"
        return title


@register.tag
def error_title(parser, token):
    """{% error_title %}…{% enderror_title %}: prefix "Error: " when a form on the page has
    errors, as the NHS and GOV.UK patterns ask, so screen reader users hear it first."""
    nodelist = parser.parse(("enderror_title",))
    parser.delete_first_token()
    return ErrorTitleNode(nodelist)


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
            for message in error_messages(field):
                items.append({"anchor": error_anchor(field), "message": message})
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
