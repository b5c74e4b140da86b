import pytest

from casestudies.markdown import plain_text, render_markdown

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
