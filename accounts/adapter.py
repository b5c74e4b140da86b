from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from .languages import supported, url_in_language
from .mail import language_for, link_in_language, queue_message


def on_site(url: str) -> str:
    """The same link on SITE_URL's scheme and host.

    allauth builds its links from the request's host, which behind a proxy or on another port
    is not the address people use; every other email link already starts with SITE_URL.
    """
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(url)
    return urlunsplit((site.scheme, site.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """Builds links in emails from SITE_URL, so they work behind any proxy and on any port;
    writes each email in its recipient's language and lands a person who signs in on pages
    in the language they chose."""

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # In the recipient's language: their account's, or the page's when there is no account
        # yet: they are the person on the page (accounts.mail.language_for). Links follow it.
        language = language_for(email, default=translation.get_language())
        # The "unknown account" and "already exists" emails carry sign-up and reset links.
        context = {
            key: link_in_language(on_site(value), language)
            if key.endswith("_url") and isinstance(value, str) and "://" in value
            else value
            for key, value in context.items()
        }
        # As allauth does, but into the outbox (sent after commit, kept if the broker is down).
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        with translation.override(language):
            queue_message(self.render_mail(template_prefix, email, context))

    def post_login(self, request, user, **kwargs):
        """Someone who signs in lands on the page they were going to, in the language on their
        account (and the "signed in" message is in it too)."""
        language = supported(user.language)
        with translation.override(language):
            response = super().post_login(request, user, **kwargs)
        location = response.get("Location", "") if response.status_code in (301, 302) else ""
        if location.startswith("/") and not location.startswith("//"):
            response["Location"] = url_in_language(location, language)
        return response

    def get_logout_redirect_url(self, request) -> str:
        """Someone who signs out lands on the home page in the language they were reading
        (the sign-out form posts to /cy/... from a Welsh page), not on the English one."""
        return url_in_language(super().get_logout_redirect_url(request), translation.get_language())

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        user.job_title = form.cleaned_data.get("job_title", "").strip()
        # Someone who signs up on the Welsh pages reads the site and their emails in Welsh.
        user.language = supported(translation.get_language())
        if commit:
            user.save()
        return user

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL
