"""Text folding that keeps offsets: matching on lower-case, accent-free text while evidence points at the original.

Reading tenders needs no statistical language model: the layout readers of `procure.extract` work with rules
over folded text, which are faster to load and to check than a French pipeline (a spaCy model took 5.4 s to
load for a buyer recogniser that found nothing on real tenders).
"""
from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=4096)
def _folded_char(ch: str) -> str:
    lower = ch.lower()
    if len(lower) != 1:  # "İ" lowers to two characters: keep one so that offsets stay aligned
        return ch
    if lower == "’":
        return "'"
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", lower) if not unicodedata.combining(c))
    return decomposed if len(decomposed) == 1 else lower


def fold_aligned(text: str) -> str:
    """Lower case without accents, same length as the input so offsets stay valid.

    A translation table built from the distinct characters of the text: one C-level pass instead of one
    Unicode decomposition per character (tender texts are hundreds of thousands of characters)."""
    table = {ord(ch): _folded_char(ch) for ch in set(text) if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch in " \n.,:;-'")}
    return text.translate(table)
