"""The national BOAMP form: "Avis d'appel public à la concurrence", "Nom et adresse officiels de l'organisme"."""
from __future__ import annotations

import re

from procure.extract.notice import read_national_form
from procure.extract.readers import ReadContext, Reader
from procure.vocabulary import Layout

MARK_RE = re.compile(r"avis\s+d'appel\s+public\s+a\s+la\s+concurrence|nom\s+et\s+adresse\s+officiels\s+de\s+l'organisme")


def detects(document, doc) -> bool:
    return bool(MARK_RE.search(doc.folded))


def _read(context: ReadContext):
    return read_national_form(context.doc, context.rank, context.nomenclature)


READER = Reader(Layout.NATIONAL_FORM, "formulaire national du BOAMP (« Avis d'appel public à la concurrence »)", detects, _read)
