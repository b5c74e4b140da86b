from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anchors.models import Organisation, Region

from . import years
from .models import MaturityLevel, StandardMeasure
from .units import parse_value, unit_label


class YearField(forms.CharField):
    """A financial year from a list, checked on the server too: a year that has not started
    (sent by a changed form, or typed) is refused with a message, not taken."""

    widget = forms.Select

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Financial year"))
        kwargs.setdefault("help_text", gettext_lazy("April to March."))
        kwargs.setdefault("error_messages", {"required": gettext_lazy("Select the financial year")})
        super().__init__(*args, **kwargs)
        self.widget.choices = [("", gettext_lazy("Choose a year")), *[(str(y), text) for y, text in years.choices()]]

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        year = years.parse(value)
        if year is None:
            raise ValidationError(_("Enter a financial year like 2024/25"))
        if year > years.current():
            raise ValidationError(
                _("%(year)s has not started yet: choose this year or an earlier one") % {"year": years.label(year)}
            )
        if year < years.FIRST_YEAR:
            raise ValidationError(_("Choose %(year)s or later") % {"year": years.label(years.FIRST_YEAR)})
        return year


class MeasureChoiceField(forms.ModelChoiceField):
    """Measures by their name in the page's language."""

    def label_from_instance(self, obj) -> str:
        return obj.display_name


class RegionChoiceField(forms.ModelMultipleChoiceField):
    """Regions by their name in the page's language."""

    def label_from_instance(self, obj) -> str:
        return obj.label


class FigureForm(forms.Form):
    measure = MeasureChoiceField(
        StandardMeasure.objects.filter(is_active=True).select_related("pillar"),
        to_field_name="slug",
        label=gettext_lazy("Measure"),
        empty_label=gettext_lazy("Choose a measure"),
        error_messages={
            "required": gettext_lazy("Select the measure"),
            "invalid_choice": gettext_lazy("Select one of the measures shown"),
        },
    )
    year = YearField()
    value = forms.CharField(
        max_length=40,
        label=gettext_lazy("Value"),
        help_text=gettext_lazy("A number. You can type £ for money and % for a percentage, like £420,000 or 61%."),
        error_messages={"required": gettext_lazy("Enter the value")},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000, label=gettext_lazy("Note"),
        help_text=gettext_lazy("Anything a reader needs to know to compare it, such as how it was counted."),
    )
    source = forms.CharField(
        max_length=300, required=False, label=gettext_lazy("Source"),
        help_text=gettext_lazy("Where the figure comes from, such as an annual report or a link."),
    )

    def clean(self):
        data = super().clean()
        measure, text = data.get("measure"), data.get("value")
        if measure is not None and text:
            try:
                data["value"] = parse_value(text, measure.unit_kind)
            except ValidationError as error:
                self.add_error("value", error)
        return data


class YearForm(forms.Form):
    """The year a publish or withdraw applies to (a hidden field in a button's form)."""

    year = YearField(widget=forms.HiddenInput)


class SignForm(forms.Form):
    organisation = forms.ModelChoiceField(
        Organisation.objects.none(),
        to_field_name="slug",
        label=gettext_lazy("Sign for"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Select the organisation signing"),
            "invalid_choice": gettext_lazy("Select one of the organisations shown"),
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = None


class SelfAssessmentForm(forms.Form):
    """The year, then one question per pillar: which statement describes the organisation best."""

    year = YearField()

    def __init__(self, *args, levels: list[MaturityLevel], **kwargs):
        super().__init__(*args, **kwargs)
        self.pillars = []
        by_pillar: dict = {}
        for level in levels:
            by_pillar.setdefault(level.pillar, []).append(level)
        for pillar, pillar_levels in by_pillar.items():
            name = f"pillar_{pillar.slug}"
            self.fields[name] = forms.TypedChoiceField(
                label=pillar.label,
                choices=[
                    (
                        lvl.level,
                        _("Level %(level)s, %(name)s: %(statement)s")
                        % {"level": lvl.level, "name": lvl.display_name, "statement": lvl.display_statement},
                    )
                    for lvl in pillar_levels
                ],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Select the statement that best describes your work on %(pillar)s")
                    % {"pillar": pillar.label.lower()},
                    "invalid_choice": _("Select one of the statements shown"),
                },
            )
            self.pillars.append((pillar, name))

    def levels(self) -> dict[int, int]:
        return {pillar.pk: self.cleaned_data[name] for pillar, name in self.pillars}


class ComparisonFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Financial year"), coerce=int, required=False)
    region = RegionChoiceField(
        Region.objects.all(), to_field_name="slug", required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Region"),
    )
    type = forms.MultipleChoiceField(
        label=gettext_lazy("Type of organisation"), choices=Organisation.Type.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, year_choices: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, years.label(y)) for y in year_choices]


class SpreadFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Financial year"), coerce=int, required=False)

    def __init__(self, *args, year_choices: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, years.label(y)) for y in year_choices]


def value_hint(measure: StandardMeasure) -> str:
    label = unit_label(measure.unit_kind)
    return _("In %(unit)s") % {"unit": label} if label else _("A whole number")
