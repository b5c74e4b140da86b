from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import DOMAIN_PATTERN, Organisation, Pillar, Region, shared_domains_in
from .services import shared_domain_message

DOMAIN = re.compile(DOMAIN_PATTERN)


class LabelChoiceField(forms.ModelChoiceField):
    """A region or pillar, shown by its `label` (the Welsh name on a Welsh page)."""

    def label_from_instance(self, obj):
        return obj.label


class LabelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Regions or pillars, shown by their `label` (the Welsh name on a Welsh page)."""

    def label_from_instance(self, obj):
        return obj.label


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or ODS code"), required=False, max_length=100)
    region = LabelMultipleChoiceField(
        Region.objects.all(), to_field_name="slug", required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Region"),
    )
    type = forms.MultipleChoiceField(
        label=_("Type of organisation"), choices=Organisation.Type.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pillar = LabelMultipleChoiceField(
        Pillar.objects.all(), to_field_name="slug", required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Pillar"),
    )


class ListedSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name or ODS code"), max_length=100, help_text=_("For example, Northumbria or RTF."),
        error_messages={"required": _("Enter a name or ODS code")},
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
            raise forms.ValidationError(
                gettext("Enter email domains like example.nhs.uk (not %(domains)s)") % {"domains": ", ".join(bad)}
            )
        shared = shared_domains_in(value)
        if shared:
            raise forms.ValidationError(shared_domain_message(shared))


class PartnerForm(forms.Form):
    name = forms.CharField(
        label=_("Organisation name"), max_length=200, error_messages={"required": _("Enter the organisation's name")}
    )
    type = forms.ChoiceField(
        label=_("Type of organisation"),
        error_messages={"required": _("Select the type of organisation")},
        choices=[(t.value, t.label) for t in Organisation.PARTNER_TYPES],
        widget=forms.RadioSelect,
    )
    region = LabelChoiceField(
        Region.objects.all(), empty_label=_("Choose a region"), label=_("Region"),
        error_messages={"required": _("Select a region")},
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    email_domains = DomainsField(
        label=_("Email domains its staff use"), required=False,
        help_text=_(
            "One a line, for example leeds.gov.uk: only domains your organisation alone uses. "
            "People with these verified addresses join at once."
        ),
    )
    description = forms.CharField(
        label=_("What the organisation does"), widget=forms.Textarea, max_length=2000,
        error_messages={"required": _("Enter what the organisation does")},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)

    def __init__(self, *args, label=None, hint="", required=True, required_message=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label or _("Reason")
        if required_message:
            self.fields["reason"].error_messages["required"] = required_message
        self.fields["reason"].help_text = hint
        self.fields["reason"].required = required


class ProfileForm(forms.Form):
    description = forms.CharField(
        label=_("What the organisation does"), widget=forms.Textarea, required=False, max_length=4000
    )
    pledge = forms.CharField(
        label=_("Anchor pledge"), widget=forms.Textarea, required=False, max_length=4000,
        help_text=_("Why the organisation acts as an anchor institution and what it commits to."),
    )
    pillars = LabelMultipleChoiceField(
        Pillar.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Pillars it commits to"),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    email_domains = DomainsField(
        label=_("Email domains its staff use"), required=False,
        help_text=_(
            "One a line: only domains your organisation alone uses, not shared ones like nhs.net. "
            "People with a verified address at these domains join at once."
        ),
    )


class PersonForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the person"), help_text=_("They must already have an account."),
        error_messages={"required": _("Enter the email address of the person")},
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(gettext("No account uses this email address"))
        self.cleaned_data["user"] = user
        return email


class LeadForm(PersonForm):
    region = LabelChoiceField(
        Region.objects.all(), empty_label=_("Choose a region"), label=_("Region"),
        error_messages={"required": _("Select a region")},
    )
