from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from anchors.models import Organisation, Region

from . import years
from .models import MaturityLevel, StandardMeasure
from .units import parse_value, unit_label


class YearField(forms.CharField):
    """A financial year from a list, checked on the server too: a year that has not started
    (sent by a changed form, or typed) is refused with a message, not taken."""

    widget = forms.Select

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", "Financial year")
        kwargs.setdefault("help_text", "April to March.")
        kwargs.setdefault("error_messages", {"required": "Select the financial year"})
        super().__init__(*args, **kwargs)
        self.widget.choices = [("", "Choose a year"), *[(str(y), text) for y, text in years.choices()]]

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        year = years.parse(value)
        if year is None:
            raise ValidationError("Enter a financial year like 2024/25")
        if year > years.current():
            raise ValidationError(f"{years.label(year)} has not started yet: choose this year or an earlier one")
        if year < years.FIRST_YEAR:
            raise ValidationError(f"Choose {years.label(years.FIRST_YEAR)} or later")
        return year


class FigureForm(forms.Form):
    measure = forms.ModelChoiceField(
        StandardMeasure.objects.filter(is_active=True).select_related("pillar"),
        to_field_name="slug",
        empty_label="Choose a measure",
        error_messages={"required": "Select the measure", "invalid_choice": "Select one of the measures shown"},
    )
    year = YearField()
    value = forms.CharField(
        max_length=40,
        help_text="A number. You can type £ for money and % for a percentage, like £420,000 or 61%.",
        error_messages={"required": "Enter the value"},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000,
        help_text="Anything a reader needs to know to compare it, such as how it was counted.",
    )
    source = forms.CharField(
        max_length=300, required=False, help_text="Where the figure comes from, such as an annual report or a link."
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
        label="Sign for",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the organisation signing", "invalid_choice": "Select one of the organisations shown"},
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
                label=pillar.name,
                choices=[(lvl.level, f"Level {lvl.level}, {lvl.name}: {lvl.statement}") for lvl in pillar_levels],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Select the statement that best describes your work on {pillar.name.lower()}",
                    "invalid_choice": "Select one of the statements shown",
                },
            )
            self.pillars.append((pillar, name))

    def levels(self) -> dict[int, int]:
        return {pillar.pk: self.cleaned_data[name] for pillar, name in self.pillars}


class ComparisonFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="Financial year", coerce=int, required=False)
    region = forms.ModelMultipleChoiceField(
        Region.objects.all(), to_field_name="slug", required=False, widget=forms.CheckboxSelectMultiple
    )
    type = forms.MultipleChoiceField(
        label="Type of organisation", choices=Organisation.Type.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, year_choices: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, years.label(y)) for y in year_choices]


class SpreadFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="Financial year", coerce=int, required=False)

    def __init__(self, *args, year_choices: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, years.label(y)) for y in year_choices]


def value_hint(measure: StandardMeasure) -> str:
    label = unit_label(measure.unit_kind)
    return f"In {label}" if label else "A whole number"
