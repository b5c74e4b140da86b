from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import User


class SignupDetailsForm(forms.Form):
    """The details allauth's sign-up form asks for besides email and password."""

    full_name = forms.CharField(
        label=gettext_lazy("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    job_title = forms.CharField(
        label=gettext_lazy("Job title"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("For example, Head of Procurement"),
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
        labels = {"full_name": gettext_lazy("Full name"), "job_title": gettext_lazy("Job title")}
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
        }


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for the password again, and a two-factor code when the person
    has an authenticator app, so a session left open cannot be used to delete it."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": gettext_lazy("Enter your password")},
    )
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        help_text=gettext_lazy(
            "The 6-digit code your app shows now. If you do not have your phone, enter one of your recovery codes."
        ),
        max_length=32,
        # No numeric keypad: recovery codes have letters in them.
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": gettext_lazy("Enter the code from your authenticator app")},
    )

    def __init__(self, *args, request, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user
        if not self.needs_code:
            del self.fields["code"]

    @property
    def needs_code(self) -> bool:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        return is_mfa_enabled(self.user, [Authenticator.Type.TOTP])

    def clean(self):
        from allauth.core import ratelimit

        cleaned = super().clean()
        if self.errors:
            return cleaned
        # Guessing the password here counts against the same limit as signing in.
        if not ratelimit.consume(self.request, action="login_failed", key=f"delete-account-{self.user.pk}"):
            raise forms.ValidationError(
                _("You have entered the wrong details too many times. Wait a few minutes and try again.")
            )
        if not self.user.check_password(cleaned["password"]):
            self.add_error("password", _("The password is not right. Enter the password you sign in with"))
        elif self.needs_code and not self._code_is_valid(cleaned["code"]):
            self.add_error(
                "code",
                _("The code is not right. Enter the code your authenticator app shows now, or a recovery code"),
            )
        return cleaned

    def _code_is_valid(self, code: str) -> bool:
        from allauth.mfa.models import Authenticator

        code = code.replace(" ", "")
        # allauth's own checks: a TOTP code is good once; a recovery code is used up.
        for authenticator in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN
        ):
            if authenticator.wrap().validate_code(code):
                return True
        return False
