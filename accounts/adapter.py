from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Builds links in emails from SITE_URL, so they work behind any proxy."""

    def get_email_verification_redirect_url(self, email_address):
        return super().get_email_verification_redirect_url(email_address)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        user.job_title = form.cleaned_data.get("job_title", "").strip()
        if commit:
            user.save()
        return user

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL
