"""The BOAMP print of the EU standard form (before eForms): "Section I :", "II.1.1)"."""
from __future__ import annotations

import re

from procure.extract.notice import read_eu_form
from procure.extract.readers import ReadContext, Reader
from procure.vocabulary import Layout

SECTION_RE = re.compile(r"section\s+i\s*:")
TITLE_RE = re.compile(r"ii\.1\.1\)")


def detects(document, doc) -> bool:
    return bool(SECTION_RE.search(doc.folded) and TITLE_RE.search(doc.folded))


def _read(context: ReadContext):
    return read_eu_form(context.doc, context.rank, context.nomenclature)


READER = Reader(Layout.EU_FORM, "formulaire standard européen publié au BOAMP (« Section I », « II.1.1) »)", detects, _read)
