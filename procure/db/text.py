"""Every text is bounded and cleaned once, here, before it reaches the database (issue 26, D4, D8).

A listener on every ORM flush cleans the string attributes of new and changed rows: NUL and other control
characters removed (PostgreSQL refuses NUL, a terminal or a spreadsheet interprets the others), bidirectional
overrides removed (« ‮gpj.exe » shown reversed), and the text cut to its column's length with an ellipsis
(PostgreSQL refuses a varchar overflow, SQLite stores it silently). Line breaks and tabs stay in long texts
(`Text` columns) and become spaces in one-line ones (`String(n)`).
"""

from __future__ import annotations

import re

from sqlalchemy import String, Text, event, inspect
from sqlalchemy.orm import Session

# C0 and C1 controls except tab, line feed and carriage return; bidi embeddings, overrides and isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\r\n]+")
ELLIPSIS = "…"


def clean_text(value: str, length: int | None = None, one_line: bool = False) -> str:
    """The text without control characters, on one line when asked, at most `length` characters."""
    value = _CONTROLS.sub("", value)
    if one_line:
        value = _LINE_BREAKS.sub(" ", value)
    if length is not None and len(value) > length:
        value = value[: length - 1].rstrip() + ELLIPSIS
    return value


def column_text(model, attribute: str, value: str) -> str:
    """`value` as it will be stored in `model.attribute` (for look-ups before an insert)."""
    return _clean_for(inspect(model).columns[attribute].type, value)


def _clean_for(column_type, value: str) -> str:
    if isinstance(column_type, Text):
        return clean_text(value)
    return clean_text(value, column_type.length, one_line=True)


def _text_columns(mapper) -> list[tuple[str, object]]:
    return [
        (mapper.get_property_by_column(column).key, column.type)
        for column in mapper.columns
        if isinstance(column.type, String | Text)
    ]


@event.listens_for(Session, "before_flush")
def _bound_texts(session: Session, _context, _instances) -> None:
    for row in list(session.new) + list(session.dirty):
        state = inspect(row)
        for key, column_type in _text_columns(state.mapper):
            if key in state.unloaded:  # not loaded, hence not changed: never load it here
                continue
            value = getattr(row, key, None)
            if isinstance(value, str):
                cleaned = _clean_for(column_type, value)
                if cleaned != value:
                    setattr(row, key, cleaned)
