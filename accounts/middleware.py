"""Sign-in pauses, with a clear page, while the cache that counts sign-in attempts is down.

allauth limits password and code guesses by counting attempts in the shared cache (Redis). The
cache forgives an outage (resilience/cache.py): every other page, and every other rate limit,
carries on without it. Checks of credentials must not: without counting, guessing would be
unlimited. So while the cache cannot be reached, a form that checks a password, a one-time code
or a reset link answers 503 with a page saying so, before anything reads or counts.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader

from resilience.cache import cache_reachable

# Pages whose POST checks a credential or sends a reset link, by view name: allauth's rate limits
# "login", "login_failed", "reset_password" and "reset_password_from_key", and our own account
# deletion, which counts wrong passwords as "login_failed" too.
CREDENTIAL_PAGES = frozenset(
    {
        "accounts:delete",
        "account_login",
        "account_reauthenticate",
        "account_confirm_login_code",
        "account_reset_password",
        "account_reset_password_from_key",
        "mfa_authenticate",
        "mfa_reauthenticate",
    }
)
RETRY_AFTER_SECONDS = 120


class SignInNeedsRateLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.method != "POST" or request.resolver_match.view_name not in CREDENTIAL_PAGES:
            return None
        if cache_reachable():
            return None
        response = HttpResponse(loader.render_to_string("accounts/sign_in_paused.html", request=request), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
