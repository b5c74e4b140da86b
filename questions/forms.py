from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MESSAGE_MAX_LENGTH


class QuestionForm(forms.Form):
    message = forms.CharField(
        label=_("Your question"),
        help_text=_(
            "The contact gets your name, job title and organisation with your question, and can "
            "reply to your email address. Up to 2,000 characters."
        ),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": _("Write your question"),
            "max_length": _("Your question must be 2,000 characters or fewer"),
        },
    )

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].replace("\x00", "").strip()
        if not message:
            raise forms.ValidationError(_("Write your question"))
        return message


class QuestionSettingForm(forms.Form):
    accepts_questions = forms.TypedChoiceField(
        label=_("Can signed-in people ask the contact a question about this case study?"),
        choices=[("yes", _("Yes, show “Ask a question”")), ("no", _("No, turn questions off"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether this case study takes questions")},
    )
