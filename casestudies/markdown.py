"""Markdown written by members, turned into HTML that is safe to show as the site.

Python-Markdown passes raw HTML through untouched, so its output is never trusted: nh3 cleans
it against an explicit allow-list. Everything not listed is dropped (tags keep their text,
except script/style and friends, which lose their content too). Images are not allowed at
all: a remote `<img src>` would let an author track readers, and case studies carry images
as attachments with required alt text instead.

Hostile input: Python-Markdown recurses once per level of nested list or quote (a few hundred
levels raise RecursionError) and rescans the rest of a paragraph from every unclosed `[`, `(`
or `<` (thousands of them take seconds). So the structure is measured first, in one linear
pass, and the same limits serve two callers:

- `validate_markdown(text, *, max_length)` for forms: raises `ValidationError` with a message
  the author can act on.
- `render_markdown(text)` for whatever is stored, whatever a form said: text over the limits is
  shown as escaped plain paragraphs instead, so rendering never raises and never takes long.

Render when saving and store the HTML beside the Markdown; pages show the stored HTML.
"""

from __future__ import annotations

import logging
import re

import markdown as markdown_lib
import nh3
from django.core.exceptions import ValidationError
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "abbr", "sub", "sup",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "title", "textarea", "select"}
)

# Limits on what is rendered as Markdown (a form may also set a lower max_length).
MAX_NESTING = 10  # levels of lists and quotes inside one another
MAX_OPEN_BRACKETS = 20  # `[`, `(` or `<` open at once
MAX_ANGLE_BRACKETS = 1_000  # `<` in all: each raw HTML tag costs more than plain text
# Characters; longer text is shown as plain paragraphs. Python-Markdown's inline pass rebuilds
# a paragraph's text at every match, so its time grows with length x matches: at this length the
# worst text we found (thousands of backslash escapes) renders in under a second, once, on save.
MAX_RENDER_LENGTH = 20_000

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    # Authors link out to partners' sites; search engines need not follow, and the opened
    # page gets no handle on ours.
    link_rel="noopener nofollow",
    strip_comments=True,
)

# A section already sits under the page's own <h2>, so authors' top headings start at <h3>.
_TOP_HEADING = re.compile(r"<(/?)h[12]\b", re.IGNORECASE)
# nh3 keeps an <a> whose href it removed (javascript:, data: ...): keep only its text.
# nh3 writes every attribute as name="value" with any quote inside escaped, so this is exact.
_LINK = re.compile(r'<a((?:\s+[\w-]+="[^"]*")*)\s*>(.*?)</a>', re.DOTALL)
_ATTRIBUTE_NAME = re.compile(r'([\w-]+)="[^"]*"')
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$)")


def _nesting_depth(text: str) -> int:
    """The deepest line: quote markers, list markers and every four columns of indentation
    before the line's text, which is how deep Python-Markdown will recurse for it."""
    deepest = 0
    for line in text.splitlines():
        markers = columns = position = 0
        while position < len(line):
            char = line[position]
            if char == " ":
                columns += 1
                position += 1
            elif char == "\t":
                columns += 4 - columns % 4
                position += 1
            elif char == ">" or (marker := _LIST_MARKER.match(line, position)):
                markers += 1
                position = position + 1 if char == ">" else marker.end()
                if line[position : position + 1] in (" ", "\t"):
                    position += 1  # the space that belongs to the marker
            else:
                break
        deepest = max(deepest, markers + columns // 4)
    return deepest


def _bracket_counts(text: str) -> tuple[int, int]:
    """(most brackets open at once, number of `<`). A backslash escapes a square or round
    bracket for Python-Markdown, but not `<`, so `\\<` still counts."""
    square = round_ = unclosed_angles = most = angles = 0
    angle_open = escaped = False
    for char in text:
        if escaped:
            escaped = False
            if char in "[]()\\":
                continue
        if char == "\\":
            escaped = True
        elif char == "[":
            square += 1
        elif char == "]":
            square = max(square - 1, 0)
        elif char == "(":
            round_ += 1
        elif char == ")":
            round_ = max(round_ - 1, 0)
        elif char == "<":
            angles += 1
            if angle_open:
                unclosed_angles += 1
            angle_open = True
        elif char == ">":
            angle_open = False
        else:
            continue
        most = max(most, square, round_, unclosed_angles)
    return most, angles


def markdown_problem(text: str, *, max_length: int = MAX_RENDER_LENGTH) -> str | None:
    """What stops this text being rendered as Markdown, in words for its author, or None."""
    text = text or ""
    if len(text) > max_length:
        return gettext("Shorten this to %(limit)s characters or fewer (it has %(length)s).") % {
            "limit": f"{max_length:,}",
            "length": f"{len(text):,}",
        }
    depth = _nesting_depth(text)
    if depth > MAX_NESTING:
        return gettext(
            "Lists and quotes can sit inside one another up to %(limit)s levels deep, "
            "but this text goes %(depth)s levels deep. Reduce the indentation or the number of > signs."
        ) % {"limit": MAX_NESTING, "depth": f"{depth:,}"}
    open_brackets, angles = _bracket_counts(text)
    if open_brackets > MAX_OPEN_BRACKETS:
        return gettext(
            "This text has too many brackets ([, ( or <) open at once: %(limit)s at most. "
            "Close or remove some, or put a backslash (\\) before a [ or ( that should show as it is."
        ) % {"limit": MAX_OPEN_BRACKETS}
    if angles > MAX_ANGLE_BRACKETS:
        return gettext("This text has more than %(limit)s < signs. Remove some.") % {
            "limit": f"{MAX_ANGLE_BRACKETS:,}"
        }
    return None


def validate_markdown(text: str, *, max_length: int) -> None:
    """Refuse Markdown that is too long or too deeply nested to show as formatted text.

    For form fields (`clean_<field>` or `validators=[...]` through a lambda): raises
    `ValidationError` with a message that says what to change. `max_length` is in characters
    and is capped at `MAX_RENDER_LENGTH`.
    """
    problem = markdown_problem(text, max_length=min(max_length, MAX_RENDER_LENGTH))
    if problem:
        raise ValidationError(problem, code="markdown")


def _text_of_link_without_href(match: re.Match) -> str:
    if "href" in _ATTRIBUTE_NAME.findall(match.group(1)):
        return match.group(0)
    return match.group(2)


def _plain_paragraphs(text: str) -> SafeString:
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 - every character escaped


def render_markdown(text: str) -> SafeString:
    """Render member-written Markdown to sanitised HTML; safe for any input.

    Text that `validate_markdown` would refuse (or that Python-Markdown fails on) comes back
    as escaped plain paragraphs, so a stored row can never break or stall a page. Call it
    when saving and store the result; it costs more than a template should pay per view.
    """
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    if markdown_problem(text):
        return _plain_paragraphs(text)
    try:
        html = markdown_lib.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    except Exception:  # a Markdown bug must not take the page down: show the words instead
        logger.exception("Markdown could not be rendered; showing it as plain text")
        return _plain_paragraphs(text)
    html = _TOP_HEADING.sub(r"<\1h3", html)
    html = _cleaner.clean(html)
    html = _LINK.sub(_text_of_link_without_href, html)
    return mark_safe(html)  # noqa: S308 - cleaned by the allow-list above


def plain_text(text: str) -> str:
    """The words of a Markdown text without any markup, for search snippets and emails."""
    text = text or ""
    if markdown_problem(text):
        return " ".join(text.split())
    try:
        html = markdown_lib.markdown(text, output_format="html")
    except Exception:
        logger.exception("Markdown could not be rendered; using its raw words")
        return " ".join(text.split())
    return " ".join(nh3.clean(html, tags=set()).split())
