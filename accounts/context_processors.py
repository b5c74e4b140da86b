from django.conf import settings
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from .languages import ENGLISH, WELSH, request_url_in_language

# Each language's name in itself: someone looking for their language reads it in that language.
LANGUAGE_NAMES = {ENGLISH: "English", WELSH: "Cymraeg"}


def html_lang(language: str) -> str:
    """The `lang` attribute for a language code: "en-gb" → "en-GB", "cy" → "cy"."""
    code, _, region = language.partition("-")
    return f"{code}-{region.upper()}" if region else code


def site(request) -> dict:
    language = translation.get_language() or settings.LANGUAGE_CODE
    other = ENGLISH if language == WELSH else WELSH
    return {
        "SITE_NAME": "Anchors Learning Network",
        "SITE_URL": settings.SITE_URL,
        "HTML_LANG": html_lang(language),
        # The header's language switch: the same page, same query string, other language.
        "OTHER_LANGUAGE": {
            "code": other,
            "name": LANGUAGE_NAMES[other],
            "lang": html_lang(other),
            "url": SimpleLazyObject(lambda: request_url_in_language(request, other)),
        },
    }
