from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import partial

import filetype
from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anchors.forms import LabelMultipleChoiceField
from anchors.models import Organisation, Pillar
from evidence.models import StandardMeasure
from evidence.units import parse_value, unit_label

from .markdown import validate_markdown
from .models import SECTIONS, WRITTEN_IN_LABEL

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Characters in one section of a case study: several pages of text.
SECTION_MAX_LENGTH = 20_000
# What members may attach, decided from the file's content (never its name or declared type).
ALLOWED_UPLOADS = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "image/png": "png",
    "image/jpeg": "jpg",
}


# Each language by its own name, marked as written in that language (WCAG 3.1.2), as language
# pickers do: "Cymraeg" on an English page is read in Welsh.
WRITTEN_IN_CHOICES = [(code, format_html('<span lang="{}">{}</span>', code, name)) for code, name in settings.LANGUAGES]


def _validate_section(text: str, *, heading: str) -> None:
    """The Markdown limits, with the section named so the error summary says which one."""
    try:
        validate_markdown(text, max_length=SECTION_MAX_LENGTH)
    except forms.ValidationError as error:
        raise forms.ValidationError(f"{heading}: {error.messages[0]}", code=error.code) from error


class CaseStudyForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Organisation"),
        empty_label=None,
        help_text=_("The member organisation this case study belongs to."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(
        label=WRITTEN_IN_LABEL,
        choices=WRITTEN_IN_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Screen readers read it aloud in this language. We do not translate it."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Two or three sentences, shown in lists and emails."),
    )
    pillars = LabelMultipleChoiceField(
        label=_("Pillars"),
        queryset=Pillar.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose at least one."),
        error_messages={"required": _("Choose at least one pillar")},
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=400,
        help_text=_("Separate tags with commas, for example: social value, apprenticeships."),
    )
    period = forms.CharField(label=_("Period covered"), max_length=100, required=False,
                             help_text=_("For example, April 2020 to March 2022."))
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    partners = forms.CharField(
        label=_("Partner organisations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line. Names of member organisations are linked to their profiles."),
    )

    def __init__(self, *args, organisations=None, tag_suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, heading, hint in SECTIONS:
            self.fields[name] = forms.CharField(
                label=heading,
                required=False,
                widget=forms.Textarea(attrs={"rows": 6}),
                help_text=format_lazy(
                    "{} {}", hint, _("You can use Markdown: **bold**, lists, [links](https://example.org).")
                ),
                validators=[partial(_validate_section, heading=heading)],
            )
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
        if tag_suggestions:
            self.fields["tags"].help_text = (
                f"{self.fields['tags'].help_text} "
                + gettext("Tags already in use: %(tags)s.") % {"tags": ", ".join(tag_suggestions)}
            )

    error_messages_map = {"title": _("Enter a title"), "summary": _("Enter a summary")}

    def clean_tags(self) -> list[str]:
        names = [" ".join(t.split()) for t in self.cleaned_data["tags"].split(",")]
        return sorted({n[:100] for n in names if n})

    def clean_partners(self) -> list[str]:
        return [" ".join(line.split())[:200] for line in self.cleaned_data["partners"].splitlines() if line.strip()]

    def content(self, measures: list[dict]) -> dict:
        """The cleaned form as the content a service applies (or a revision stores)."""
        data = self.cleaned_data
        names = data["partners"]
        members = {
            o.name.lower(): o.pk for o in Organisation.objects.verified().filter(name__in=names)
        }
        content = {name: data[name] for name in ("title", "summary", "period", "contact_name", "contact_email")}
        if data.get("language"):
            content["language"] = data["language"]
        content.update({name: data[name] for name, _h, _hint in SECTIONS})
        content["pillars"] = sorted(p.pk for p in data["pillars"])
        content["tags"] = data["tags"]
        content["measures"] = measures
        content["partners"] = [
            {"organisation": members[n.lower()], "name": ""} if n.lower() in members else {"organisation": None, "name": n}
            for n in names
        ]
        return content


for _name, _message in CaseStudyForm.error_messages_map.items():
    CaseStudyForm.base_fields[_name].error_messages["required"] = _message


def initial_from_content(content: dict, partner_names: dict[int, str]) -> dict:
    initial = {k: v for k, v in content.items() if k not in ("pillars", "tags", "measures", "partners")}
    initial["pillars"] = content.get("pillars", [])
    initial["tags"] = ", ".join(content.get("tags", []))
    initial["partners"] = "\n".join(
        partner_names.get(p["organisation"], "") if p.get("organisation") else p.get("name", "")
        for p in content.get("partners", [])
    )
    return initial


# Outcome values are at most 14 digits with 2 decimal places (OutcomeMeasure.value).
MAX_OUTCOME_VALUE = Decimal("999999999999.99")


def _free_number(text: str) -> Decimal | None:
    """A number as people type it with a free-text unit ("420,000", "61.5"); None if it is not one."""
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > MAX_OUTCOME_VALUE or number.as_tuple().exponent < -2:
        return None
    return number


class MeasureForm(forms.Form):
    """One outcome row: either one of the network's standard measures, whose value is read and
    checked by its unit kind (a percentage over 100 or money in a count is refused), or a
    measure described in free text with its own unit, as before."""

    standard_measure = forms.TypedChoiceField(
        label=_("Standard measure"), required=False, coerce=int, empty_value=None,
        help_text=_(
            "Choose one so your figure can be compared with other members', or leave it and describe the measure below."
        ),
    )
    measure = forms.CharField(
        label=_("Measure"), max_length=200, required=False,
        help_text=_("For example, spend with local suppliers. Leave empty to use the standard measure's name."),
    )
    value = forms.CharField(label=_("Value"), max_length=40, required=False)
    unit = forms.CharField(
        label=_("Unit"), max_length=40, required=False,
        help_text=_("For example %, £, people. Not needed with a standard measure."),
    )
    period = forms.CharField(label=_("Period"), max_length=100, required=False)
    baseline = forms.CharField(label=_("Baseline"), max_length=40, required=False)

    def __init__(self, *args, standard_measures: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard_measures = standard_measures or {}
        self.fields["standard_measure"].choices = [("", gettext("None: I will describe the measure"))] + [
            (pk, m.display_name) for pk, m in self.standard_measures.items()
        ]

    def _number(self, name: str, standard) -> Decimal | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        if standard is not None:
            try:
                return parse_value(text, standard.unit_kind)
            except forms.ValidationError as error:
                self.add_error(name, error)
                return None
        number = _free_number(text)
        if number is None:
            self.add_error(name, gettext("Enter a number"))
        return number

    def clean(self):
        data = super().clean()
        standard = self.standard_measures.get(data.get("standard_measure"))
        if not any(data.get(f) not in (None, "") for f in ("standard_measure", "measure", "value", "unit", "period", "baseline")):
            return data
        value, baseline = self._number("value", standard), self._number("baseline", standard)
        if standard is not None:
            data["measure"] = data.get("measure") or standard.name
            data["unit"] = unit_label(standard.unit_kind)
        else:
            if not data.get("measure"):
                self.add_error("measure", gettext("Enter what was measured"))
            if not data.get("unit"):
                self.add_error("unit", gettext("Enter the unit"))
        if not (data.get("value") or "").strip():
            self.add_error("value", gettext("Enter the value as a number"))
        data["value"], data["baseline"] = value, baseline
        return data

    def as_content(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("measure"):
            return None
        content = {
            "measure": data["measure"],
            "value": str(data["value"]),
            "unit": data["unit"],
            "period": data.get("period") or "",
            "baseline": "" if data.get("baseline") is None else str(data["baseline"]),
        }
        if data.get("standard_measure"):
            content["standard_measure"] = data["standard_measure"]
        return content


MAX_MEASURES = 30


class BaseMeasureFormSet(BaseFormSet):
    """The outcome measure rows. How many rows there are comes from the browser, so a count
    that was changed (100,000 rows, or not a number) is capped, reported and corrected rather
    than trusted, and the rows that were typed are shown again."""

    CHANGED_MESSAGE = _(
        "The form was changed before it was sent, so nothing was saved. "
        "Check the outcome measures and the rest of the form, then save again."
    )

    def get_form_kwargs(self, index):
        # The standard measures are read once for the whole formset, not once per row.
        if not hasattr(self, "_standard_measures"):
            self._standard_measures = {m.pk: m for m in StandardMeasure.objects.all()}
        return {**super().get_form_kwargs(index), "standard_measures": self._standard_measures}

    def total_form_count(self) -> int:
        if self.is_bound and not self.management_form.is_valid():
            return self._posted_row_count()
        return super().total_form_count()

    def initial_form_count(self) -> int:
        if self.is_bound:  # never more "initial" rows than rows
            return min(super().initial_form_count(), self.total_form_count())
        return super().initial_form_count()

    def _posted_row_count(self) -> int:
        rows = 0
        names = list(MeasureForm.base_fields)
        while rows < self.absolute_max and any(f"{self.add_prefix(rows)}-{n}" in self.data for n in names):
            rows += 1
        return rows

    @property
    def was_changed_in_transit(self) -> bool:
        return self.is_bound and bool(self.non_form_errors())

    def management_form_to_send(self) -> ManagementForm:
        """Counts that match the rows shown, so sending the form again is not refused again."""
        return ManagementForm(
            auto_id=self.auto_id,
            prefix=self.prefix,
            initial={
                TOTAL_FORM_COUNT: self.total_form_count(),
                INITIAL_FORM_COUNT: self.initial_form_count(),
                MIN_NUM_FORM_COUNT: self.min_num,
                MAX_NUM_FORM_COUNT: self.max_num,
            },
            renderer=self.renderer,
        )


MeasureFormSet = formset_factory(
    MeasureForm,
    formset=BaseMeasureFormSet,
    extra=2,
    max_num=MAX_MEASURES,
    absolute_max=MAX_MEASURES,
    validate_max=True,
)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("publish", _("Publish")),
            ("request_changes", _("Request changes")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you request changes (say what to change) or reject (give the reason)."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") in ("request_changes", "reject") and not (data.get("comment") or "").strip():
            self.add_error(
                "comment",
                gettext("Say what needs to change")
                if data["decision"] == "request_changes"
                else gettext("Give a reason for rejecting it"),
            )
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, Word, PowerPoint, Excel, PNG or JPEG, up to 10 MB."),
        error_messages={"required": _("Choose a file to upload")},
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Enter a title for the file")}
    )
    alt_text = forms.CharField(
        label=_("Alternative text"),
        max_length=300,
        required=False,
        help_text=_("For images: describe the image for people who cannot see it."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(gettext("The file must be 10 MB or smaller"))
        if upload.size == 0:
            raise forms.ValidationError(gettext("The file is empty"))
        head = upload.read(8192)
        upload.seek(0)
        kind = filetype.guess(head)
        if kind is None or kind.mime not in ALLOWED_UPLOADS:
            raise forms.ValidationError(gettext("The file must be a PDF, Word, PowerPoint, Excel, PNG or JPEG file"))
        upload.detected_mime = kind.mime
        upload.detected_extension = ALLOWED_UPLOADS[kind.mime]
        return upload

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None and upload.detected_mime.startswith("image/") and not data.get("alt_text", "").strip():
            self.add_error("alt_text", gettext("Enter alternative text describing the image"))
        return data
