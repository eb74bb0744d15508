"""Reading labelled values on a joined text stream: "Label : value", value on the next line(s), or empty.

Works on the folded stream of a `DocText` (same offsets as the original text), so that a value wrapped over
several PDF lines is read whole and its evidence points back to the right page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from procure.extract.document import DocText

# A line that opens another field: a section code ("II.2.4)", "1.2 -", "Article 3"), or "Label :" where the
# label is a short run of words starting the line.
SECTION_CODE_RE = re.compile(
    r"^\s*(?:[ivx]{1,4}(?:\.\d{1,2}){0,3}\)|[ivx]{1,4}\.\d|\d{1,2}(?:\.\d{1,2}){0,3}\s*[-–.)/]\s|\d{1,2}(?:\.\d{1,2}){1,3}\s+[a-z]|"
    r"article\s+\d|section\s+[ivx\d]|lots?\s*(?:n\s*[°ºo]\s*)?\d{1,2}\s*[:.\-–])"
)
LABEL_LINE_RE = re.compile(r"^\s*[-*•]?\s*[a-z][a-z'’()/ .-]{2,90}?\s?:(?:\s|$)")
EMPTY_VALUE_RE = re.compile(r"^[\s.:;,_…-]*$")
MAX_VALUE_CHARS = 600


@dataclass
class Value:
    """A value read after a label: offsets in the document stream and the original text."""

    doc: DocText
    start: int
    end: int

    @property
    def text(self) -> str:
        return " ".join(self.doc.text[self.start : self.end].split()).strip(" .;,")

    @property
    def folded(self) -> str:
        return " ".join(self.doc.folded[self.start : self.end].split()).strip(" .;,")

    def evidence(self, context: int = 80):
        return self.doc.evidence(self.start, self.end, context)


def read_value(doc: DocText, position: int, limit: int | None = None, max_lines: int = 6,
               stop: re.Pattern | None = None, caps_blocks: bool = False) -> Value | None:
    """The value that follows a label ending at `position`: rest of the line, else the next line(s).

    Continuation lines are taken while they do not open another field; `stop` ends the value earlier
    (e.g. "Numéro de référence" after an EU-form title). None when the field is empty.
    """
    folded, limit = doc.folded, min(limit or len(doc.folded), position + MAX_VALUE_CHARS * 2)
    cursor = position
    while cursor < limit and folded[cursor] in " :\t-–—.|":  # "|" separates the cells of a table row
        if folded[cursor] in "-–—" and cursor + 1 < limit and folded[cursor + 1] not in " \n":
            break
        cursor += 1
    line_end = doc.line_end(cursor)
    if EMPTY_VALUE_RE.match(folded[cursor:line_end]) and line_end < limit:
        cursor = line_end + 1  # value on the next line
        if cursor >= limit or _opens_field(folded[cursor : doc.line_end(cursor)]):
            return None
    start, end, lines = cursor, doc.line_end(cursor), 1
    if doc.blocks[doc.block_index_at(start)].kind == "table_row":  # a cell: the value ends with it
        cell_end = doc.folded.find(" | ", start, end)
        end = cell_end if cell_end > 0 else end
        lines = max_lines
    while end < limit and lines < max_lines and end - start < MAX_VALUE_CHARS:
        next_line = folded[end + 1 : doc.line_end(end + 1)]
        caps_block = caps_blocks and is_caps(doc.text[start:end]) and is_caps(doc.text[end + 1 : doc.line_end(end + 1)])
        if not next_line.strip() or (_opens_field(next_line) and not caps_block) or _ends_sentence(folded[start:end]):
            break
        end, lines = doc.line_end(end + 1), lines + 1
    end = min(end, limit)
    if stop is not None:
        cut = stop.search(folded, start, end)
        if cut:
            end = cut.start()
    if EMPTY_VALUE_RE.match(folded[start:end]):
        return None
    return Value(doc, start, end)


def is_caps(text: str, min_letters: int = 8) -> bool:
    """Written in capitals: a line of a title block ("D'INFORMATION : SUPERVISION/MCO, RESEAUX") continues the
    title; a trade of a works DCE ("02 CHARPENTE – COUVERTURE")."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= min_letters and sum(c.isupper() for c in letters) / len(letters) > 0.9


def _opens_field(line: str) -> bool:
    return bool(SECTION_CODE_RE.match(line) or LABEL_LINE_RE.match(line))


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip()
    return stripped.endswith((".", ";", "!", "?")) and not re.search(r"\b(?:n|no|art|cf|m|mme|st|ste|av|bd)\.$", stripped)


_LEADING_MARKS_RE = re.compile(r"[\s\-*•–]+")  # bullets and dashes that may stand before a label


def find_labels(doc: DocText, pattern: re.Pattern, start: int = 0, end: int | None = None, line_start: bool = True):
    """Matches of a label pattern in the folded stream, at line starts unless told otherwise."""
    end = len(doc.folded) if end is None else end
    for match in pattern.finditer(doc.folded, start, end):
        if line_start and _LEADING_MARKS_RE.sub("", doc.folded[doc.line_start(match.start()) : match.start()]):
            continue
        yield match


def first_value(doc: DocText, pattern: re.Pattern, start: int = 0, end: int | None = None, line_start: bool = True,
                stop: re.Pattern | None = None, max_lines: int = 6) -> Value | None:
    for match in find_labels(doc, pattern, start, end, line_start):
        value = read_value(doc, match.end(), end, max_lines=max_lines, stop=stop)
        if value is not None:
            return value
    return None


def sections(doc: DocText, pattern: re.Pattern) -> list[tuple[str, int, int]]:
    """Split a stream at headings matching `pattern` (group 1 = key): (key, start, end) for each section."""
    marks = [(m.group(1), m.start()) for m in pattern.finditer(doc.folded)]
    return [(key, start, marks[i + 1][1] if i + 1 < len(marks) else len(doc.folded)) for i, (key, start) in enumerate(marks)]
