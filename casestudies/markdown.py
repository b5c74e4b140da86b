"""Markdown written by members, turned into HTML that is safe to show as the site.

Python-Markdown passes raw HTML through untouched, so its output is never trusted: nh3 cleans
it against an explicit allow-list. Everything not listed is dropped (tags keep their text,
except script/style and friends, which lose their content too). Images are not allowed at
all: a remote `<img src>` would let an author track readers, and case studies carry images
as attachments with required alt text instead.
"""

from __future__ import annotations

import re

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

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


def render_markdown(text: str) -> SafeString:
    """Render member-written Markdown to sanitised HTML."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    html = markdown_lib.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    html = _TOP_HEADING.sub(r"<\1h3", html)
    return mark_safe(_cleaner.clean(html))  # noqa: S308 - cleaned by the allow-list above


def plain_text(text: str) -> str:
    """The words of a Markdown text without any markup, for search snippets and emails."""
    html = markdown_lib.markdown(text or "", output_format="html")
    return " ".join(nh3.clean(html, tags=set()).split())
