"""A tender piece as one text stream: lines joined, artefacts of PDF extraction repaired, running headers
and footers set apart, and every offset traceable back to its file, page and block for evidence.

Real PDFs wrap values anywhere ("Numéro de la" / "consultation : 20835013_ao"), so fields are read on the
joined stream, while labels are recognised at line starts.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from procure.ingest import ReadDocument
from procure.model import Block, Evidence
from procure.text.nlp import fold_aligned
from procure.vocabulary import Layout

# Characters pdfium or Word leave in the text layer, replaced one for one so that offsets stay valid:
# U+FFFE marks a hyphen at a line end (pdfium joins the two lines), private-use glyphs are bullets/boxes.
ARTEFACTS = str.maketrans({"\ufffe": "-", "\x02": "-", "\u00ad": "-", "\t": " ", "\u2010": "-", "\u2011": "-", "\u2013": "–"})
# U+FFFE between two lower-case letters is Word's automatic hyphenation ("l'in-sertion", "recon-duit") unless
# the left part is a prefix of a real compound ("sous-traitance", "ci-dessus", "accord-cadre"). Notices print
# real hyphens only ("Saint-Quentin", "Fontaine-lès-Dijon"), so they keep every one.
HYPHENATION_RE = re.compile(r"(?<=[a-zà-ÿ])[\ufffe\x02](?=[a-zà-ÿ])")
COMPOUND_PREFIXES = ("sous", "ci", "non", "mono", "multi", "extra", "peri", "péri", "accord", "libre", "main", "plus", "anti",
                     "auto", "semi", "demi", "avant", "arrière", "contre", "porte", "après", "post", "pré", "pre", "inter",
                     "c'est", "vis", "au", "là", "celle", "celui", "ceux", "lui", "elle", "eux", "nous", "vous", "quasi")
PRIVATE_USE_RE = re.compile(r"[\ue000-\uf8ff]")
NOTICE_MARK_RE = re.compile(r"\bAvis\s+n\s*[o°º]?\s*\d{2}-\d{4,}|\bAnnonce\s+No|Avis d'appel public", re.I)
FURNITURE_MIN_PAGES = 3
FURNITURE_EDGE_LINES = 6


@dataclass
class DocText:
    """One piece of the tender, as a normalised text stream with its provenance."""

    name: str
    role: str  # a procure.vocabulary.DocumentRole
    text: str
    folded: str
    starts: list[int]  # offset of each block in `text`
    blocks: list[Block]
    furniture: list[Block] = field(default_factory=list)  # running headers and footers, kept apart
    layout: str = Layout.DOCUMENT  # a procure.vocabulary.Layout

    def block_index_at(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def evidence(self, start: int, end: int, context: int = 80) -> Evidence:
        """Evidence of a span of the stream: the block where it starts and the passage around it."""
        position = self.block_index_at(start)
        block, block_start = self.blocks[position], self.starts[position]
        lo, hi = max(0, start - context), min(len(self.text), end + context)
        passage = " ".join(self.text[lo:hi].split())
        return Evidence(block.file, block.page, block.index, start - block_start, end - block_start, passage, block.ocr)

    def page_of(self, offset: int) -> int | None:
        return self.blocks[self.block_index_at(offset)].page

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def line_end(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end


def clean_text(text: str, notice: bool = False) -> str:
    if not notice:
        text = HYPHENATION_RE.sub(_hyphenation, text)
    # BOAMP prints "1er" as "1.e.r": same length replacement keeps offsets.
    return PRIVATE_USE_RE.sub(" ", text.translate(ARTEFACTS)).replace("1.e.r", "1er  ")


def _hyphenation(match: re.Match) -> str:
    """Drop a line-end hyphenation; keep the hyphen of a compound word. The block's evidence offsets are then
    relative to the repaired text (the passage shown is always read from it)."""
    head = re.search(r"([\wà-ÿ']+)$", match.string[: match.start()])
    return "-" if head and head.group(1).lower() in COMPOUND_PREFIXES else ""


def build_doctext(document: ReadDocument) -> DocText:
    blocks = _stream_blocks(document)
    furniture_keys = _furniture_keys(blocks)
    kept: list[Block] = []
    furniture: list[Block] = []
    for block in blocks:
        is_furniture = len(block.text) < 160 and bool(furniture_keys) and _furniture_key(block.text) in furniture_keys
        (furniture if is_furniture else kept).append(block)
    return stream_of(document.info.file, document.info.doc_type, kept, furniture)


def stream_of(name: str, role: str, blocks: list[Block], furniture: list[Block], layout: str = Layout.DOCUMENT) -> DocText:
    """Blocks joined into one cleaned stream, each block's offset kept for evidence."""
    starts, parts, offset = [], [], 0
    notice = any(NOTICE_MARK_RE.search(b.text) for b in blocks[:12])
    for block in blocks:
        text = clean_text(block.text, notice)
        starts.append(offset)
        parts.append(text)
        offset += len(text) + 1
    text = "\n".join(parts)
    return DocText(name, role, text, fold_aligned(text), starts, blocks, furniture, layout)


def _stream_blocks(document: ReadDocument) -> list[Block]:
    """PDF tables are read twice (as lines and as pdfplumber rows): the stream keeps the lines only."""
    return [b for b in document.blocks if not (b.kind == "table_row" and b.page is not None)]


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(fold_aligned(text).split()))


def _furniture_keys(blocks: list[Block]) -> set[str]:
    """Lines standing at the top or bottom of at least half of the pages (3 pages at least): headers, footers."""
    pages: dict[int, list[Block]] = {}
    for block in blocks:
        if block.page is not None and block.kind != "table_row":
            pages.setdefault(block.page, []).append(block)
    if len(pages) < FURNITURE_MIN_PAGES:
        return set()
    counts: Counter[str] = Counter()
    for page_blocks in pages.values():
        edges = page_blocks[:FURNITURE_EDGE_LINES] + page_blocks[-FURNITURE_EDGE_LINES:]
        counts.update({_furniture_key(b.text) for b in edges})
    threshold = max(FURNITURE_MIN_PAGES, len(pages) / 2)
    return {key for key, count in counts.items() if count >= threshold and key.strip("# .-/")}
