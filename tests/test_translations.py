"""Every string a person reads is translated into Welsh.

(a) no template shows English outside `{% translate %}` / `{% blocktranslate %}`, in its text
    or in the attributes people read (alt, aria-label, title, placeholder, button values);
(b) every msgid the templates and the Python code ask for has Welsh in the catalogue
    (locale/cy/LC_MESSAGES/django.po: present, not empty, not fuzzy);
(c) the committed .mo says exactly what the .po says.

Pure Python (Django's template Lexer and parser, `ast`, and scripts/welsh.py's PO reader), so it
runs on a machine without gettext. To fix a failure: wrap the text, add the Welsh to your part
file locale/cy/sources/<area>.po, and run `python scripts/welsh.py build` (see its docstring).
"""

from __future__ import annotations

import ast
import html
import importlib.util
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from django.template import Engine, Template
from django.template.base import Lexer, TokenType
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils.translation import trim_whitespace

BASE_DIR = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", "node_modules", "tests", "static", "var", "locale", "scripts", ".git"}
SHOWN_PER_AREA = 40


def _load_welsh():
    spec = importlib.util.spec_from_file_location(
        "welsh_catalogue", BASE_DIR / "scripts" / "welsh.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while it loads
    spec.loader.exec_module(module)
    return module


welsh = _load_welsh()

# Text that is the same in both languages: each language's own name in the switcher, brand
# and product names, and the NHS logo's text.
ALLOWED_TEXT = {
    "Cymraeg",
    "English",
    "NHS",
    "Anchors Learning Network",
    "Anchors Learning Network administration",
    "RSS",
    "Atom",
    "CSV",
    "JSON",
    "API",
    "OpenAPI",
}
# Attributes a person reads (or hears from a screen reader).
READ_ATTRIBUTES = ("alt", "aria-label", "title", "placeholder", "aria-roledescription")
LETTERS = re.compile(r"[^\W\d_]")
TAG = re.compile(r"<[^<>]*>")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


# --- Where templates and code live --------------------------------------------------------------


def _walk(suffixes: tuple[str, ...]):
    for path in sorted(BASE_DIR.rglob("*")):
        relative = path.relative_to(BASE_DIR)
        if relative.parts[0] in SKIPPED_DIRS or any(
            part.startswith(".") for part in relative.parts
        ):
            continue
        if path.is_file() and path.suffix in suffixes:
            yield path


def template_files() -> list[Path]:
    return [
        p for p in _walk((".html", ".txt", ".xml")) if "templates" in p.relative_to(BASE_DIR).parts
    ]


def python_files() -> list[Path]:
    return [p for p in _walk((".py",)) if "migrations" not in p.parts]


def area_of(path: Path) -> str:
    """The part of the site a file belongs to: its app (templates/<app>/... or <app>/...);
    the site shell (base, includes, error pages, accounts) is "shell"."""
    parts = path.relative_to(BASE_DIR).parts
    area = (parts[1] if len(parts) > 2 else "shell") if parts[0] == "templates" else parts[0]
    return (
        "shell"
        if area in {"includes", "emails", "account", "allauth", "accounts", "config", "pages"}
        else area
    )


def report(title: str, offenders: dict[str, list[str]]) -> str:
    total = sum(len(items) for items in offenders.values())
    lines = [f"{title}: {total} in {len(offenders)} area(s)."]
    for area in sorted(offenders, key=lambda a: (-len(offenders[a]), a)):
        items = offenders[area]
        lines.append(f"\n[{area}] {len(items)}:")
        lines += [f"  {item}" for item in items[:SHOWN_PER_AREA]]
        if len(items) > SHOWN_PER_AREA:
            lines.append(f"  ... and {len(items) - SHOWN_PER_AREA} more")
    return "\n".join(lines)


# --- (a) untranslated text in templates --------------------------------------------------------


def _readable(text: str) -> str | None:
    """The text left once tags, comments and entities are gone, if it has letters that are not
    on the allowlist."""
    text = html.unescape(TAG.sub(" ", text))
    text = " ".join(text.split())
    for allowed in sorted(ALLOWED_TEXT, key=len, reverse=True):
        text = text.replace(allowed, " ")
    text = " ".join(text.split())
    return text if LETTERS.search(text) else None


HOLE = "\x00"  # where a template tag, a variable or translated text was
ATTRIBUTE = re.compile(r'([\w:-]+)\s*=\s*"([^"]*)"')


def _tag_offenders(tag: str) -> list[str]:
    """Attributes people read whose value holds English outside a translate tag."""
    attributes = dict(ATTRIBUTE.findall(tag))
    names = list(READ_ATTRIBUTES)
    # A button's value is its label; hidden, radio and checkbox values are never read.
    if tag.startswith("<input") and attributes.get("type") in ("submit", "button", "reset"):
        names.append("value")
    found = []
    for name in names:
        value = attributes.get(name)
        if value is not None and any(_readable(piece) for piece in value.split(HOLE)):
            found.append(f'{name}="{value.replace(HOLE, "…")}"')
    return found


def _html_offenders(stream: str) -> list[str]:
    """English in a template's markup, where template tags and translated text are holes."""
    stream = HTML_COMMENT.sub(HOLE, stream)
    # Scripts, styles, and code samples (parameter names, URLs) are the same in every language.
    stream = re.sub(r"<(script|style|code|pre)\b.*?</\1>", HOLE, stream, flags=re.S)
    found = []
    position = 0
    for tag in re.finditer(r"<[a-zA-Z/!][^<>]*>", stream):
        found += [
            text
            for piece in stream[position : tag.start()].split(HOLE)
            if (text := _readable(piece))
        ]
        found += _tag_offenders(tag.group(0))
        position = tag.end()
    found += [text for piece in stream[position:].split(HOLE) if (text := _readable(piece))]
    return [text[:120] for text in found]


INCLUDE_ARGUMENTS = re.compile(
    r'\b(button|title|heading|label|legend|hint|caption|text|message)="([^"]*)"'
)
DEFAULT_LITERAL = re.compile(r'\|default(?:_if_none)?:"([^"]*)"')


def untranslated_in_template(source: str) -> list[str]:
    found: list[str] = []
    stream: list[str] = []
    inside: list[str] = []  # the block tags whose text is not shown untranslated
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT and not inside:
            stream.append(token.contents)
            continue
        stream.append(HOLE)
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
                inside.append(name)
            elif (
                name in ("endblocktranslate", "endblocktrans", "endcomment", "endverbatim")
                and inside
            ):
                inside.pop()
            elif name == "include" and not inside:
                found += [
                    f'{{% include ... {key}="{value}" %}}'
                    for key, value in INCLUDE_ARGUMENTS.findall(token.contents)
                    if _readable(value)
                ]
        elif token.token_type == TokenType.VAR and not inside:
            found += [
                f'|default:"{v}"' for v in DEFAULT_LITERAL.findall(token.contents) if _readable(v)
            ]
    return _html_offenders("".join(stream)) + found


def test_templates_show_no_untranslated_text():
    offenders: dict[str, list[str]] = defaultdict(list)
    for path in template_files():
        for text in untranslated_in_template(path.read_text(encoding="utf-8")):
            offenders[area_of(path)].append(f"{path.relative_to(BASE_DIR)}: {text!r}")
    if offenders:
        pytest.fail(
            report(
                "Text in templates outside {% translate %} / {% blocktranslate trimmed %}",
                offenders,
            ),
            pytrace=False,
        )


def test_the_untranslated_text_check_sees_text_attributes_and_arguments():
    source = (
        '{% load i18n %}<p>{% translate "Fine" %}</p><p>Not fine</p>'
        '<img alt="A chart" src="x.png"><button aria-label="{% translate \'Close\' %}">×</button>'
        '{% blocktranslate trimmed %}Fine too <a title="ok">here</a>{% endblocktranslate %}'
        '{% comment %}Ignored{% endcomment %}<input type="submit" value="Send">'
        '<input type="hidden" value="en-gb">{% include "x.html" with button="Save" %}'
        '<span>{{ value|default:"Not given" }}</span><a lang="cy">Cymraeg</a> &nbsp; – 42'
    )
    assert untranslated_in_template(source) == [
        "Not fine",
        'alt="A chart"',
        'value="Send"',
        '{% include ... button="Save" %}',
        '|default:"Not given"',
    ]


# --- (b) every msgid has its Welsh --------------------------------------------------------------


def _context(node) -> str | None:
    if not node.message_context:
        return None
    var = node.message_context.var
    return str(var) if isinstance(var, str) else var.literal


def _template_msgids(path: Path, engine: Engine) -> list[tuple[str | None, str, str | None]]:
    """(msgctxt, msgid, msgid_plural) as Django will look each one up while rendering."""
    template = Template(path.read_text(encoding="utf-8"), engine=engine)
    found = []
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        if node.noop or node.filter_expression.var.literal is None:
            continue
        found.append(
            (_context(node), str(node.filter_expression.var.literal).replace("%", "%%"), None)
        )
    for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        singular, _vars = node.render_token_list(node.singular)
        plural = None
        if node.plural and node.countervar and node.counter:
            plural, _vars = node.render_token_list(node.plural)
        if node.trimmed:
            singular = trim_whitespace(singular)
            plural = trim_whitespace(plural) if plural is not None else None
        found.append((_context(node), singular, plural))
    return found


GETTEXT_FUNCTIONS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _literal(call: ast.Call, index: int | None) -> str | None:
    if index is None or index >= len(call.args):
        return None
    arg = call.args[index]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def python_msgids(source: str) -> list[tuple[str | None, str, str | None]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in GETTEXT_FUNCTIONS:
            continue
        context_at, msgid_at, plural_at = GETTEXT_FUNCTIONS[name]

        msgid = _literal(node, msgid_at)
        if msgid:
            found.append((_literal(node, context_at), msgid, _literal(node, plural_at)))
    return found


def test_python_msgids_are_found():
    source = (
        "from django.utils.translation import gettext as _, ngettext, pgettext_lazy\n"
        'a = _("One " "thing")\nb = ngettext("%(n)s case study", "%(n)s case studies", 3)\n'
        'c = pgettext_lazy("verb", "Save")\nd = _(variable)\n'
    )
    assert python_msgids(source) == [
        (None, "One thing", None),
        (None, "%(n)s case study", "%(n)s case studies"),
        ("verb", "Save", None),
    ]


def test_every_string_has_its_welsh_in_the_catalogue():
    catalogue = {entry.key: entry for entry in welsh.read_po(welsh.CATALOGUE) if entry.msgid}
    engine = Engine.get_default()
    wanted: dict[tuple, set[str]] = defaultdict(set)
    for path in template_files():
        for context, msgid, _plural in _template_msgids(path, engine):
            wanted[(context, msgid)].add(str(path.relative_to(BASE_DIR)))
    for path in python_files():
        for context, msgid, _plural in python_msgids(path.read_text(encoding="utf-8")):
            wanted[(context, msgid)].add(str(path.relative_to(BASE_DIR)))
    offenders: dict[str, list[str]] = defaultdict(list)
    for (context, msgid), paths in sorted(
        wanted.items(), key=lambda item: (sorted(item[1]), item[0][1])
    ):
        entry = catalogue.get((context, msgid))
        if entry is not None and entry.translated:
            continue
        why = "not in the catalogue" if entry is None else ("fuzzy" if entry.fuzzy else "no Welsh")
        where = sorted(paths)[0]
        label = f"[{context}] " if context else ""
        offenders[area_of(BASE_DIR / where)].append(f"{where}: {label}{msgid[:100]!r} ({why})")
    if offenders:
        pytest.fail(
            report(
                "Strings without Welsh in locale/cy/LC_MESSAGES/django.po (add them to your "
                "locale/cy/sources/<area>.po, then run `python scripts/welsh.py build`)",
                offenders,
            ),
            pytrace=False,
        )


# --- (c) the compiled catalogue is the catalogue -------------------------------------------------


def test_the_compiled_catalogue_matches_the_po_file():
    # The .po compiled afresh here in Python, against the committed .mo, message by message.
    expected = welsh.mo_messages(welsh.mo_bytes(welsh.messages_of(welsh.read_po(welsh.CATALOGUE))))
    compiled = welsh.mo_messages(welsh.COMPILED.read_bytes())
    assert compiled.keys() == expected.keys(), (
        "locale/cy/LC_MESSAGES/django.mo is out of date with django.po: run `python scripts/welsh.py build`. "
        f"Only in .po: {sorted(expected.keys() - compiled.keys())[:10]}; "
        f"only in .mo: {sorted(compiled.keys() - expected.keys())[:10]}"
    )
    differing = [key for key in expected if key and expected[key] != compiled[key]]
    assert not differing, (
        f"django.mo differs from django.po for {differing[:10]}: run `python scripts/welsh.py build`"
    )


def test_the_committed_catalogue_counts_in_welsh():
    import gettext

    with welsh.COMPILED.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert [catalogue.plural(n) for n in (0, 1, 2, 3, 6, 8, 11, 20)] == [2, 0, 1, 2, 2, 3, 3, 2]


def test_the_catalogue_has_the_welsh_header():
    header = next(entry for entry in welsh.read_po(welsh.CATALOGUE) if not entry.msgid).msgstrs[0]
    assert "Language: cy\n" in header
    assert f"Plural-Forms: {welsh.PLURAL_FORMS}\n" in header


# --- scripts/welsh.py itself -------------------------------------------------------------------


def test_po_files_round_trip_with_context_plurals_and_escapes():
    text = (
        '#, python-format\nmsgctxt "verb"\nmsgid "Save"\nmsgstr "Cadw"\n\n'
        'msgid "%(n)s group"\nmsgid_plural "%(n)s groups"\n'
        'msgstr[0] "%(n)s grŵp"\nmsgstr[1] "%(n)s grŵp"\nmsgstr[2] ""\n"%(n)s o "\n"grwpiau"\nmsgstr[3] "%(n)s grŵp"\n\n'
        '#, fuzzy\nmsgid "Line\\n"\n"two \\"quoted\\""\nmsgstr "Llinell"\n\n#~ msgid "old"\n#~ msgstr "hen"\n'
    )
    entries = welsh.parse_po(text)
    assert [(e.msgctxt, e.msgid, e.msgstrs) for e in entries] == [
        ("verb", "Save", ["Cadw"]),
        (None, "%(n)s group", ["%(n)s grŵp", "%(n)s grŵp", "%(n)s o grwpiau", "%(n)s grŵp"]),
        (None, 'Line\ntwo "quoted"', ["Llinell"]),
    ]
    assert entries[2].fuzzy and not entries[2].translated
    again = welsh.parse_po(welsh.format_po(entries))[1:]
    assert [(e.msgctxt, e.msgid, e.msgstrs) for e in again] == [
        (e.msgctxt, e.msgid, e.msgstrs) for e in entries
    ]


def test_the_compiled_catalogue_reads_back_with_welsh_plurals():
    import gettext
    import io

    entries = welsh.parse_po(
        welsh.format_po(
            [
                welsh.Entry(
                    msgid="%(n)s group",
                    msgid_plural="%(n)s groups",
                    msgstrs=["un", "dau", "rhai", "wyth"],
                ),
                welsh.Entry(msgid="Save", msgctxt="verb", msgstrs=["Cadw"]),
            ]
        )
    )
    catalogue = gettext.GNUTranslations(io.BytesIO(welsh.mo_bytes(welsh.messages_of(entries))))
    assert [catalogue.ngettext("%(n)s group", "%(n)s groups", n) for n in (1, 2, 3, 8, 11, 20)] == [
        "un",
        "dau",
        "rhai",
        "wyth",
        "wyth",
        "rhai",
    ]
    assert catalogue.pgettext("verb", "Save") == "Cadw"


def test_part_files_that_disagree_are_reported(tmp_path, monkeypatch):
    (tmp_path / "a.po").write_text('msgid "Save"\nmsgstr "Cadw"\n', encoding="utf-8")
    (tmp_path / "b.po").write_text(
        'msgid "Save"\nmsgstr "Arbed"\n\nmsgid "Search"\nmsgstr "Chwilio"\n', encoding="utf-8"
    )
    monkeypatch.setattr(welsh, "SOURCES_DIR", tmp_path)
    monkeypatch.setattr(welsh, "BASE_DIR", tmp_path)
    translations, conflicts = welsh.read_sources()
    assert translations[(None, "Save")].msgstrs == ["Cadw"]
    assert translations[(None, "Search")].msgstrs == ["Chwilio"]
    assert (
        len(conflicts) == 1
        and "'Save'" in conflicts[0]
        and "a.po" in conflicts[0]
        and "b.po" in conflicts[0]
    )


def test_a_catalogue_msgfmt_refuses_leaves_the_old_one_in_place(tmp_path, monkeypatch):
    import shutil
    import subprocess

    if not shutil.which("msgfmt"):
        pytest.skip("gettext's msgfmt is not installed (only building the catalogue needs it)")
    monkeypatch.setattr(welsh, "CATALOGUE", tmp_path / "django.po")
    monkeypatch.setattr(welsh, "COMPILED", tmp_path / "django.mo")
    welsh._write_and_compile(
        [
            welsh.Entry(
                msgid="Enter %(label)s", msgstrs=["Llenwch %(label)s"], flags=["python-format"]
            )
        ]
    )
    before = (welsh.CATALOGUE.read_bytes(), welsh.COMPILED.read_bytes())
    broken = welsh.Entry(
        msgid="Enter %(label)s", msgstrs=["Llenwch %(labl)s"], flags=["python-format"]
    )
    with pytest.raises(subprocess.CalledProcessError):
        welsh._write_and_compile([broken])
    assert (welsh.CATALOGUE.read_bytes(), welsh.COMPILED.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["django.mo", "django.po"]
