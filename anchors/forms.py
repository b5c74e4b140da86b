from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model

from .models import DOMAIN_PATTERN, Organisation, Pillar, Region, shared_domains_in
from .services import shared_domain_message

DOMAIN = re.compile(DOMAIN_PATTERN)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label="Name or ODS code", required=False, max_length=100)
    region = forms.ModelMultipleChoiceField(
        Region.objects.all(), to_field_name="slug", required=False, widget=forms.CheckboxSelectMultiple
    )
    type = forms.MultipleChoiceField(
        label="Type of organisation", choices=Organisation.Type.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pillar = forms.ModelMultipleChoiceField(
        Pillar.objects.all(), to_field_name="slug", required=False, widget=forms.CheckboxSelectMultiple
    )


class ListedSearchForm(forms.Form):
    q = forms.CharField(
        label="Search by name or ODS code", max_length=100, help_text="For example, Northumbria or RTF."
    )


class DomainsField(forms.CharField):
    """Email domains, one per line or separated by commas. Shared domains (nhs.net, gmail.com...)
    are refused: they would let anyone with such an address in."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        value = super().to_python(value)
        return [d.strip().lower().lstrip("@") for d in re.split(r"[\s,;]+", value) if d.strip()]

    def validate(self, value):
        super().validate(value)
        bad = [d for d in value if not DOMAIN.match(d)]
        if bad:
            raise forms.ValidationError(f"Enter email domains like example.nhs.uk (not {', '.join(bad)})")
        shared = shared_domains_in(value)
        if shared:
            raise forms.ValidationError(shared_domain_message(shared))


class PartnerForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=200)
    type = forms.ChoiceField(
        label="Type of organisation",
        choices=[(t.value, t.label) for t in Organisation.PARTNER_TYPES],
        widget=forms.RadioSelect,
    )
    region = forms.ModelChoiceField(Region.objects.all(), empty_label="Choose a region")
    website = forms.URLField(required=False, assume_scheme="https")
    email_domains = DomainsField(
        label="Email domains its staff use", required=False,
        help_text="One a line, for example leeds.gov.uk: only domains your organisation alone uses. "
        "People with these verified addresses join at once.",
    )
    description = forms.CharField(label="What the organisation does", widget=forms.Textarea, max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)

    def __init__(self, *args, label="Reason", hint="", required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = hint
        self.fields["reason"].required = required


class ProfileForm(forms.Form):
    description = forms.CharField(label="What the organisation does", widget=forms.Textarea, required=False, max_length=4000)
    pledge = forms.CharField(
        label="Anchor pledge", widget=forms.Textarea, required=False, max_length=4000,
        help_text="Why the organisation acts as an anchor institution and what it commits to.",
    )
    pillars = forms.ModelMultipleChoiceField(
        Pillar.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Pillars it commits to",
    )
    website = forms.URLField(required=False, assume_scheme="https")
    email_domains = DomainsField(
        label="Email domains its staff use", required=False,
        help_text="One a line: only domains your organisation alone uses, not shared ones like nhs.net. "
        "People with a verified address at these domains join at once.",
    )


class PersonForm(forms.Form):
    email = forms.EmailField(label="Email address of the person", help_text="They must already have an account.")

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError("No account uses this email address")
        self.cleaned_data["user"] = user
        return email


class LeadForm(PersonForm):
    region = forms.ModelChoiceField(Region.objects.all(), empty_label="Choose a region")
