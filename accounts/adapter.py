from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from .mail import queue_message


def on_site(url: str) -> str:
    """The same link on SITE_URL's scheme and host.

    allauth builds its links from the request's host, which behind a proxy or on another port
    is not the address people use; every other email link already starts with SITE_URL.
    """
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(url)
    return urlunsplit((site.scheme, site.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """Builds links in emails from SITE_URL, so they work behind any proxy and on any port."""

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The "unknown account" and "already exists" emails carry sign-up and reset links.
        context = {
            key: on_site(value) if key.endswith("_url") and isinstance(value, str) and "://" in value else value
            for key, value in context.items()
        }
        # As allauth does, but into the outbox (sent after commit, kept if the broker is down).
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        queue_message(self.render_mail(template_prefix, email, context))

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        user.job_title = form.cleaned_data.get("job_title", "").strip()
        if commit:
            user.save()
        return user

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL
