"""The privacy notice, accessibility statement and cookies page, linked from every page's footer."""

from email.utils import parseaddr

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _context() -> dict:
    return {
        # Deployments name their controller in templates/pages/_controller.html; until then
        # the address the service sends from is where questions go.
        "contact_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf_days": settings.CSRF_COOKIE_AGE // 86400,
        "messages_cookie": CookieStorage.cookie_name,
    }


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/privacy.html", _context())


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html", _context())


def cookies(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/cookies.html", _context())
