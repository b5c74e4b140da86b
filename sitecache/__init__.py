"""Pages and page parts kept in the cache, and the content version that retires them.

Every entry below is stored with the *content version*: one number in the cache that the services bump
after a commit that changes what visitors see (a publish, an archive, an edit of a published
case study, an organisation's change, a reference-data change). A bump retires every cached
page and fragment at once, so nothing stale is shown after a change commits, and nothing has
to know which pages a change touched.

Bottom layer: imports Django only, so accounts, anchors and casestudies can all call it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

log = logging.getLogger(__name__)

VERSION_KEY = "sitecache:content-version"
# Entries retire by version, not by time; the timeout only lets the cache drop old versions.
SECONDS = 24 * 3600
# Response headers a stored page keeps: the middleware adds the rest (CSP, frame options...)
# to every response, hit or miss, and a stored page never carries a cookie.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Last-Modified", "ETag")


def _fresh_version() -> int:
    # Microseconds since 1970: a version lost with a flushed cache restarts above every number
    # handed out before, so no old entry can come back to life.
    return time.time_ns() // 1000


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), None)
        version = cache.get(VERSION_KEY)
    return version if version is not None else _fresh_version()


def bump_content_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key was lost (flushed, evicted): start again from the clock
        cache.set(VERSION_KEY, _fresh_version(), None)


def content_changed() -> None:
    """Retire every cached page and fragment once the current transaction commits (at once
    outside a transaction). Services call this; a rolled-back change retires nothing."""
    transaction.on_commit(bump_content_version)


def _fragment_key(name: str, parts: tuple) -> str:
    # The active language is part of every key: a fragment holds rendered or translated text,
    # and the Welsh page must never be handed the English one (nor the other way round).
    language = translation.get_language() or settings.LANGUAGE_CODE
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"sitecache:{name}:{language}:{digest}"


def _lookup(key: str) -> tuple[int, object]:
    """(the content version, what is stored under `key` for that version, or None), in one
    round trip: each entry is stored with the version it was built for, and an entry of an
    older version is a miss."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return content_version(), None
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return version, stored[1]
    return version, None


def get_fragment(name: str, parts: tuple) -> tuple[int, object]:
    """(content version, the stored value or None)."""
    return _lookup(_fragment_key(name, parts))


def set_fragment(name: str, parts: tuple, version: int, value) -> None:
    cache.set(_fragment_key(name, parts), (version, value), SECONDS)


def fragment(name: str, parts: tuple, build: Callable[[], object]):
    """A cached value for the current content version: built once, then shared by every
    process. `build` must not return None (None means "not cached")."""
    version, value = get_fragment(name, parts)
    if value is None:
        value = build()
        set_fragment(name, parts, version, value)
    return value


# --- Whole pages for visitors ------------------------------------------------------------------


def is_plain_visit(request: HttpRequest) -> bool:
    """A GET by someone not signed in, with no message waiting to be shown to them: the page
    they get is the page every such visitor gets."""
    if request.method != "GET" or request.user.is_authenticated:
        return False
    # len() reads the waiting messages without marking them shown.
    return len(get_messages(request)) == 0


def _page_key(request: HttpRequest) -> str:
    # The full URL holds the language (/cy/... is Welsh); the active language is added anyway,
    # so a page outside the language prefix can never be stored in one language for the other.
    language = translation.get_language() or settings.LANGUAGE_CODE
    url = f"{language} {request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"sitecache:page:{hashlib.sha256(url.encode()).hexdigest()}"


def dont_cache(response: HttpResponse) -> HttpResponse:
    """Mark a response as not for the page cache (it showed something not yet settled)."""
    response.sitecache_skip = True
    return response


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not getattr(response, "sitecache_skip", False)
        and len(get_messages(request)) == 0  # the view added none
        # A page that asked for a CSRF token holds this visitor's token: never share it.
        and not request.META.get("CSRF_COOKIE_USED")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not getattr(getattr(request, "session", None), "modified", False)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def cached_for_visitors(view):
    """Serve a visitor the stored page for this URL and content version, or build and store it.
    Signed-in people, POSTs and visitors with a message waiting always get the view itself."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_plain_visit(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        version, stored = _lookup(key)
        if stored is not None:
            content, headers = stored
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if _storable(request, response):
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            cache.set(key, (version, (response.content, headers)), SECONDS)
        return response

    return wrapper


class ContentChangeAdminMixin:
    """For admin pages of data that visitors see: a save or delete retires cached pages."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        content_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        content_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        content_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        content_changed()
