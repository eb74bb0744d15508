"""Walk the blocks of a tender in reading order, knowing which lot each block speaks about."""
from __future__ import annotations

import re
from dataclasses import dataclass

from procure.ingest import ReadDocument
from procure.model import Block
from procure.text.nlp import fold_aligned

DOC_PRIORITY = {"RC": 0, "AAPC": 1, "CCAP": 2, "AE": 3, "CCTP": 4, "BPU": 5, "DPGF": 5, "DQE": 5}

LOT_HEADING_RE = re.compile(r"^\s*lot\s*(?:n\s*[°o]?\s*\.?\s*|numero\s*)?(\d{1,3})\b\s*(?:[:\-–—.)]\s*)?(.*)$")
SECTION_HEADING_RE = re.compile(r"^\s*(article|chapitre|titre|partie|section|annexe)\s+[\divx]+\b")
LOT_MENTION_RE = re.compile(r"\blots?\s*(?:n\s*[°o]s?\s*\.?\s*)?((?:\d{1,3})(?:\s*(?:,|et|a|à|-)\s*\d{1,3})*)")


@dataclass
class Segment:
    block: Block
    folded: str
    lot: int | None  # lot whose section the block stands in
    lot_heading: tuple[int, int] | None = None  # (number, offset of the title) when the block opens a lot


def ordered_documents(documents: list[ReadDocument]) -> list[ReadDocument]:
    return sorted(documents, key=lambda doc: DOC_PRIORITY.get(doc.info.doc_type, 9))


def segments(document: ReadDocument) -> list[Segment]:
    """Blocks with their lot context; table rows are read as tables, not as lot headings."""
    result = []
    current: int | None = None
    for block in document.blocks:
        folded = fold_aligned(block.text)
        heading = None
        if block.kind != "table_row" and len(block.text) < 250:
            match = LOT_HEADING_RE.match(folded)
            if match:
                current = int(match.group(1))
                heading = (current, match.start(2))
            elif block.kind == "heading" or SECTION_HEADING_RE.match(folded):
                current = None
        result.append(Segment(block, folded, current, heading))
    return result


def mentioned_lots(folded: str) -> list[int]:
    """Lot numbers a passage names explicitly: 'lot n° 2', 'lots 1 et 3', 'lots 2 à 4'."""
    numbers: list[int] = []
    for match in LOT_MENTION_RE.finditer(folded):
        spec = match.group(1)
        ranged = re.fullmatch(r"(\d{1,3})\s*(?:a|à|-)\s*(\d{1,3})", spec.strip())
        if ranged and int(ranged.group(1)) < int(ranged.group(2)) <= int(ranged.group(1)) + 30:
            values = range(int(ranged.group(1)), int(ranged.group(2)) + 1)
        else:
            values = [int(n) for n in re.findall(r"\d{1,3}", spec)]
        numbers.extend(n for n in values if n not in numbers)
    return numbers
