"""The reader registry: each layout of a tender piece is read by one module that says what it detects and how
it reads. The first reader whose `detects` accepts a piece reads it; the DCE reader accepts every piece.

Adding a form is one module with a `READER`, one test and one line in `READERS`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from procure.extract.document import DocText
from procure.extract.reading import Reading
from procure.ingest import ReadDocument
from procure.reference.cpv import Nomenclature
from procure.vocabulary import DocumentRole, Layout


@dataclass(frozen=True)
class ReadContext:
    """What a reader is given: the piece as a text stream, the file as read, its trust rank, the CPV list."""

    doc: DocText
    document: ReadDocument
    rank: float
    nomenclature: Nomenclature | None


@dataclass(frozen=True)
class Reader:
    layout: Layout  # stored on the DocText
    description: str  # French, for the documentation and the maintainers
    detects: Callable[[ReadDocument, DocText], bool]
    read: Callable[[ReadContext], Reading]
    role: DocumentRole | None = None  # a role the layout imposes on the piece (a notice is a notice, whatever its title)
    reads_dates: bool = False  # True: the reader states the dates itself; else they are read from the text


def _readers() -> tuple[Reader, ...]:
    from procure.extract.readers import dce, eforms_data, eforms_text, eu_form, national_form

    return (eforms_data.READER, eforms_text.READER, eu_form.READER, national_form.READER, dce.READER)


READERS: tuple[Reader, ...] = _readers()


def reader_for(document: ReadDocument, doc: DocText) -> Reader:
    return next(reader for reader in READERS if reader.detects(document, doc))
