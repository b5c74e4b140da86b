"""Forms of the resource library: suggesting or editing a resource, and the kind filter."""

from __future__ import annotations

from urllib.parse import urlsplit

import filetype
from django import forms
from django.utils.translation import gettext_lazy as _

from anchors.forms import LabelMultipleChoiceField
from anchors.models import Organisation, Pillar

from .forms import ALLOWED_UPLOADS, MAX_UPLOAD_BYTES, WRITTEN_IN_CHOICES
from .models import WRITTEN_IN_LABEL, Resource

SUMMARY_MAX_LENGTH = 600


class ResourceForm(forms.Form):
    """A resource's details with either a file or a link (never both, never neither). When
    editing one that already has a file, leaving both empty keeps the file."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Organisation"),
        empty_label=None,
        help_text=_("The member organisation suggesting it. Its regional lead reviews the suggestion."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of resource"),
        choices=Resource.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of resource")},
    )
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")})
    language = forms.ChoiceField(
        label=WRITTEN_IN_LABEL,
        choices=WRITTEN_IN_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Screen readers read it aloud in this language. We do not translate it."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Two or three sentences of plain text: what it is and who it helps. Up to 600 characters."),
        error_messages={"required": _("Enter a summary")},
    )
    file = forms.FileField(
        label=_("Upload a file"),
        required=False,
        help_text=_("PDF, Word, PowerPoint, Excel, PNG or JPEG, up to 10 MB."),
    )
    url = forms.CharField(
        label=_("Or give a link"),
        max_length=500,
        required=False,
        help_text=_("The full web address, starting with https://"),
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
        help_text=_("Separate tags with commas, for example: social value, procurement."),
    )
    partner = forms.CharField(
        label=_("Made by a partner"),
        max_length=200,
        required=False,
        help_text=_(
            "Leave empty if your organisation made it. Otherwise name the organisation that did: "
            "names of member organisations are linked to their profiles."
        ),
    )
    date = forms.DateField(
        label=_("Date"),
        required=False,
        help_text=_("When it was published or the event took place, for example 2024-03-21."),
        error_messages={"invalid": _("Enter a real date, for example 2024-03-21")},
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, organisations=None, resource: Resource | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.resource = resource
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
        if resource is not None and resource.file:
            self.fields["file"].help_text = _(
                "Leave empty to keep the current file (%(name)s). PDF, Word, PowerPoint, Excel, PNG or JPEG, up to 10 MB."
            ) % {"name": resource.original_name or resource.extension}

    def clean_summary(self) -> str:
        # Plain text: one paragraph's worth, whitespace tidied.
        return "\n".join(" ".join(line.split()) for line in self.cleaned_data["summary"].splitlines()).strip()

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise forms.ValidationError(_("Enter a web address starting with https:// or http://"))
        try:
            forms.URLField(assume_scheme="https").clean(url)
        except forms.ValidationError as error:
            raise forms.ValidationError(_("Enter a web address starting with https:// or http://")) from error
        return url

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file must be 10 MB or smaller"))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty"))
        head = upload.read(8192)
        upload.seek(0)
        kind = filetype.guess(head)
        if kind is None or kind.mime not in ALLOWED_UPLOADS:
            raise forms.ValidationError(_("The file must be a PDF, Word, PowerPoint, Excel, PNG or JPEG file"))
        upload.detected_mime = kind.mime
        upload.detected_extension = ALLOWED_UPLOADS[kind.mime]
        return upload

    def clean_tags(self) -> list[str]:
        names = [" ".join(t.split()) for t in self.cleaned_data["tags"].split(",")]
        return sorted({n[:100] for n in names if n})

    def clean_partner(self) -> str:
        return " ".join(self.cleaned_data["partner"].split())

    def clean(self):
        data = super().clean()
        upload, url = data.get("file"), data.get("url")
        has_file = self.resource is not None and bool(self.resource.file)
        if upload and url:
            self.add_error("url", _("Upload a file or give a link, not both"))
        elif not upload and not url and "file" not in self.errors and "url" not in self.errors and not has_file:
            self.add_error("file", _("Upload a file or give a link"))
        return data

    def content(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"].strip(),
            "summary": data["summary"],
            "url": data["url"],
            "date": data["date"],
            **partner_fields(data["partner"]),
            "pillars": [p.pk for p in data["pillars"]],
            "tags": data["tags"],
            **({"language": data["language"]} if data.get("language") else {}),
        }


def partner_fields(name: str) -> dict:
    """A partner named as a member organisation is linked to it; anyone else stays a name."""
    if not name:
        return {"partner_organisation": None, "partner_name": ""}
    organisation = Organisation.objects.verified().filter(name__iexact=name).first()
    if organisation is not None:
        return {"partner_organisation": organisation, "partner_name": ""}
    return {"partner_organisation": None, "partner_name": name}


def initial_from_resource(resource: Resource) -> dict:
    return {
        "kind": resource.kind,
        "title": resource.title,
        "language": resource.language,
        "summary": resource.summary,
        "url": resource.url,
        "date": resource.date,
        "partner": resource.partner_organisation.name if resource.partner_organisation_id else resource.partner_name,
        "pillars": [p.pk for p in resource.pillars.all()],
        "tags": ", ".join(sorted(t.name for t in resource.tags.all())),
    }


class KindFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of resource"),
        required=False,
        choices=[("", _("All kinds")), *Resource.Kind.choices],
    )
