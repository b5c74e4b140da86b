from django import forms

from .models import User


class SignupDetailsForm(forms.Form):
    """The details allauth's sign-up form asks for besides email and password."""

    full_name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    job_title = forms.CharField(
        label="Job title",
        max_length=150,
        required=False,
        help_text="For example, Head of Procurement",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )

    field_order = ["full_name", "job_title", "email", "password1", "password2"]

    def signup(self, request, user: User) -> None:
        # The adapter already copied the fields; nothing else to save.
        return None


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "job_title"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
        }
