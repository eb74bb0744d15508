"""eForms notices printed as text (the BOAMP and TED renderings of a notice, PDF or Word)."""
from __future__ import annotations

from procure.extract.eforms import is_eforms, read_eforms
from procure.extract.readers import ReadContext, Reader
from procure.vocabulary import Layout


def _read(context: ReadContext):
    return read_eforms(context.doc, context.rank, context.nomenclature)


READER = Reader(Layout.EFORMS, "avis eForms imprimé (« Lot technique ID », « Nom officiel »)",
                lambda document, doc: is_eforms(doc.folded), _read)
