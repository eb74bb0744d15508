"""Text folding that keeps offsets: matching on lower-case, accent-free text while evidence points at the original.

Reading tenders needs no statistical language model: the layout readers of `procure.extract` work with rules
over folded text, which are faster to load and to check than a French pipeline (a spaCy model took 5.4 s to
load for a buyer recogniser that found nothing on real tenders).
"""
from __future__ import annotations

import functools
import re
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

    ASCII is lowered by str.lower in C; only the runs of other characters go through a translation table built
    from their distinct characters (str.translate leaves its ASCII fast path at the first accent). Tender texts are
    hundreds of thousands of characters: on a 61-page dossier, 36 ms with one whole-text translation, 13 ms so."""
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lowers to two characters: fold character by character
        return text.translate({ord(ch): _folded_char(ch) for ch in set(text) if not ("a" <= ch <= "z" or ch.isdigit())})
    if lowered.isascii():
        return lowered
    table = {ord(ch): _folded_char(ch) for ch in set(lowered) if not ch.isascii()}
    return _NON_ASCII_RUN.sub(lambda run: run.group().translate(table), lowered)


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
