"""What a proposed revision changes, as readable old and new text with the changed words marked.

Moderators compare prose, not code: a unified diff (`@@ -1 +1 @@`) in monospace tells them
little and widens the page. Line endings (\r\n from one browser, \n from another) and spaces at
the ends of lines are not changes anyone made, so they are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# Words, runs of spaces, and single punctuation marks: small enough to mark what changed.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
# Above this many tokens the comparison goes line by line instead, so a long section can
# never make the review page slow (SequenceMatcher is quadratic at worst).
MAX_WORD_TOKENS = 4_000


@dataclass(frozen=True)
class Segment:
    kind: str  # "same", "removed" or "added"
    text: str


@dataclass(frozen=True)
class TextChange:
    old: list[Segment]
    new: list[Segment]


def normalised(text: str | None) -> str:
    """The text as a reader sees it: one kind of line ending, no spaces at line ends, no blank
    lines at the end."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _tokens(text: str, by_line: bool) -> list[str]:
    return text.splitlines(keepends=True) if by_line else _TOKEN.findall(text)


def _joined(segments: list[Segment]) -> list[Segment]:
    """Neighbouring segments of one kind as one, so the page has one <del> per change."""
    out: list[Segment] = []
    for segment in segments:
        if out and out[-1].kind == segment.kind:
            out[-1] = Segment(segment.kind, out[-1].text + segment.text)
        elif segment.text:
            out.append(segment)
    return out


def text_change(before: str | None, after: str | None) -> TextChange | None:
    """The old and new text with removed and added words marked, or None when they read alike."""
    old, new = normalised(before), normalised(after)
    if old == new:
        return None
    old_tokens, new_tokens = _tokens(old, False), _tokens(new, False)
    if len(old_tokens) + len(new_tokens) > MAX_WORD_TOKENS:
        old_tokens, new_tokens = _tokens(old, True), _tokens(new, True)
    opcodes = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False).get_opcodes()
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        removed, added = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        # A lone space between two changed words belongs to the change: "from China" reads
        # as one removal, not two.
        between_changes = 0 < index < len(opcodes) - 1 and not removed.strip()
        if op == "equal" and not between_changes:
            old_segments.append(Segment("same", removed))
            new_segments.append(Segment("same", added))
            continue
        old_segments.append(Segment("removed", removed))
        new_segments.append(Segment("added", added))
    return TextChange(old=_joined(old_segments), new=_joined(new_segments))
