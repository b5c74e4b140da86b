"""Which language a page or an email is in, and the same page's address in the other one.

English pages live at /..., Welsh pages at /cy/... (config/urls.py uses `i18n_patterns` with
`prefix_default_language=False`). A signed-in person's choice is kept in `User.language`: it
decides the language of the pages they land on after signing in and of every email they get.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation

ENGLISH = "en-gb"
WELSH = "cy"


def supported(language: str | None) -> str:
    """`language` if the site speaks it (or a variant of it: "en" is "en-gb"), else English."""
    try:
        return translation.get_supported_language_variant(language or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def strip_prefix(path: str) -> str:
    """The English address of a path: `/cy/groups/` → `/groups/` (others unchanged)."""
    for code, _name in settings.LANGUAGES:
        if code == settings.LANGUAGE_CODE:
            continue
        prefix = f"/{code}/"
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
        if path == prefix[:-1]:
            return "/"
    return path


def _resolves(path: str, language: str) -> bool:
    with translation.override(language):
        try:
            resolve(path)
        except Resolver404:
            return False
    return True


def path_in_language(path: str, language: str, *, fallback_home: bool = True) -> str:
    """The same page's path in `language`. A path that exists only in English (the API, the
    admin) goes to the home page of that language rather than to a page that is not there
    (or stays as it is, with `fallback_home=False`)."""
    language = supported(language)
    bare = strip_prefix(path)
    if language == settings.LANGUAGE_CODE:
        return bare
    target = f"/{language}{bare}"
    if not _resolves(target, language) and _resolves(bare, settings.LANGUAGE_CODE):
        return f"/{language}/" if fallback_home else bare
    return target


def url_in_language(url: str, language: str) -> str:
    """A site-relative URL (path, query string, fragment) moved to `language`."""
    url, hash_mark, fragment = url.partition("#")
    path, mark, query = url.partition("?")
    return path_in_language(path, language) + mark + query + hash_mark + fragment


def request_url_in_language(request, language: str) -> str:
    """The page being shown, with its query string, in `language`."""
    script_prefix = request.path[: len(request.path) - len(request.path_info)]
    query = request.META.get("QUERY_STRING", "")
    return script_prefix + path_in_language(request.path_info, language) + (f"?{query}" if query else "")


def user_language(user) -> str:
    """The language a person chose (English for anyone without an account)."""
    return supported(getattr(user, "language", None))
