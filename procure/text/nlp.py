"""Text folding that keeps offsets: matching on lower-case, accent-free text while evidence points at the original.

Reading tenders needs no statistical language model: the layout readers of `procure.extract` work with rules
over folded text, which are faster to load and to check than a French pipeline (a spaCy model took 5.4 s to
load for a buyer recogniser that found nothing on real tenders).
"""
from __future__ import annotations

import unicodedata


def fold_aligned(text: str) -> str:
    """Lower case without accents, same length as the input so offsets stay valid."""
    out = []
    for ch in text.lower():
        decomposed = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(decomposed if len(decomposed) == 1 else ch)
    return "".join(out).replace("’", "'")
