"""Where a passage stands, as a buyer finds it again: a page for a paginated file, the first words of the
passage for a Word file (Word has neither pages nor numbered paragraphs a buyer could go to)."""
from __future__ import annotations

import re


def where_fr(evidence: object, quote: bool = True) -> str:
    """Where a passage is, as a buyer finds it: « RC.pdf, p. 3 » for a paginated file; a Word file has no page nor
    numbered paragraphs, so the start of the passage, to search in Word: « AE.docx, « Le titulaire réalise… » »
    (`quote=False`: the file alone, when the passage is quoted next to it). Takes an Evidence or its dict."""
    get = evidence.get if isinstance(evidence, dict) else lambda name, default=None: getattr(evidence, name, default)
    file, page = get("file", ""), get("page")
    if page is not None:
        return f"{file}, p. {page}"
    start = passage_start(get("passage", "") or "", cut_first=bool(get("start", 0))) if quote else ""
    return f"{file}, « {start} »" if start else file


def passage_start(passage: str, words: int = 10, cut_first: bool = False, limit: int = 70) -> str:
    """The first words of a passage, to search it in the document. When the passage may start inside a sentence
    (`cut_first`), from the next sentence if one starts soon, else without the first word, which may be cut;
    « … » says the passage goes on."""
    if cut_first:  # the window starts inside a sentence: from the next sentence when one starts soon
        sentence = re.search(r"[.;:!?]\s+(?=[A-ZÀ-Ý«])", passage[:limit])
        if sentence and len(passage) - sentence.end() > limit // 2:
            passage, cut_first = passage[sentence.end():], False
    tokens = passage.split()
    if cut_first and len(tokens) > words and tokens[0][:1].islower():
        tokens = tokens[1:]
    kept: list[str] = []
    for token in tokens[:words]:
        if kept and len(" ".join(kept + [token])) > limit:
            break
        kept.append(token)
    text = " ".join(kept)
    return text + ("…" if len(kept) < len(tokens) else "")
