"""Every other piece of a dossier (RC, CCAP, CCTP, AE, BPU…): read as a document, by its headings and labels."""
from __future__ import annotations

from procure.extract.dce import read_document
from procure.extract.readers import ReadContext, Reader
from procure.vocabulary import Layout


def _read(context: ReadContext):
    return read_document(context.doc, context.rank, context.nomenclature, context.document.tables)


READER = Reader(Layout.DOCUMENT, "pièce du dossier de consultation (RC, CCAP, CCTP, AE, BPU…)", lambda document, doc: True, _read)
