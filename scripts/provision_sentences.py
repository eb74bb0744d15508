"""Labelled candidate sentences for the provision judge (no scikit-learn here: the bench and the training share it).

Two sources, each record with a `group` (the tender it comes from) so that cross-validation never splits a
tender between training and test:
- the real tenders of ../shared/data/dce-real: every candidate sentence of their pieces, labelled with the kinds
  of the `expected.yaml` provisions whose `quote` it overlaps, none otherwise (the other candidates and the
  `absent` traps are the negatives); a few candidates are relabelled by hand in
  `models/provision_sentences/dce_real_labels.yaml`, each with its reason;
- the sentences written and labelled by hand in `models/provision_sentences/sentences.yaml` (model clauses of
  the public guides, wordings of real notices, traps), each with its source.
"""
from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from procure.extract import read_files  # noqa: E402
from procure.extract.candidates import candidates, question_flags  # noqa: E402
from procure.extract.document import build_doctext  # noqa: E402
from procure.extract.readers import reader_for  # noqa: E402
from procure.extract.roles import classify  # noqa: E402
from procure.extract.social import paragraph_blocks  # noqa: E402
from procure.text.nlp import fold_aligned  # noqa: E402

SENTENCES_DIR = REPO / "models" / "provision_sentences"
KINDS = ("insertion_clause", "reserved_disability", "reserved_siae", "reserved_ess", "social_criterion",
         "ethical_purchasing", "fair_trade", "social_services_procedure")


@dataclass
class Record:
    text: str  # folded, one line
    kinds: frozenset[str]
    group: str  # the tender (or the hand-written source) it belongs to
    role: str = "AUTRE"
    in_question: bool = False
    origin: str = "real"  # real | written
    shown: str = ""  # the sentence as written, for reports
    notes: list[str] = field(default_factory=list)


def real_tenders_dir() -> Path:
    shared = os.environ.get("PROCURE_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    return Path(shared).resolve() / "dce-real"


def folded_line(text: str) -> str:
    return " ".join(fold_aligned(text).split())


def text_quotes(expected: dict) -> list[tuple[str, str]]:
    """(kind, folded quote) of the provisions stated in words; coded ones (an XML element) are the eForms reader's."""
    quotes = []
    for provision in expected.get("provisions") or []:
        quote = (provision.get("quote") or "").strip()
        if quote and not quote.startswith("<"):
            quotes.append((provision["kind"], folded_line(quote)))
    return quotes


def overlaps(sentence: str, quote: str) -> bool:
    """The sentence says (part of) the quoted provision: one holds the other, or they share a long run of words."""
    if sentence in quote or quote in sentence:
        return True
    matcher = difflib.SequenceMatcher(None, sentence, quote, autojunk=False)
    match = matcher.find_longest_match(0, len(sentence), 0, len(quote))
    return match.size >= min(60, 0.6 * min(len(quote), len(sentence)))


def tender_records(folder: Path) -> list[Record]:
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    quotes = text_quotes(expected)
    documents, _ = read_files([folder / name for name in expected["files"]])
    records = []
    for document in documents:
        doc = build_doctext(document)
        reader = reader_for(document, doc)
        role = reader.role or classify(document.info.file, doc.text[:2500])
        found = list(candidates(doc.text, doc.folded, paragraph_lines=paragraph_blocks(doc)))
        flags = question_flags(doc.folded, [s.start for s in found]) if role == "QR" else [False] * len(found)
        for sentence, flag in zip(found, flags):
            kinds = frozenset(kind for kind, quote in quotes if overlaps(sentence.folded, quote))
            records.append(Record(sentence.folded, kinds, folder.name, role, flag, "real", sentence.text))
    return records


def relabel(records: list[Record]) -> None:
    """Hand labels of real candidates that no quote covers (the same provision restated elsewhere)."""
    path = SENTENCES_DIR / "dce_real_labels.yaml"
    if not path.exists():
        return
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        needle = folded_line(entry["contains"])
        for record in records:
            if record.group == entry["tender"] and needle in record.text:
                record.kinds = frozenset(entry["kinds"])
                record.notes.append(entry["why"])


# The held-out probe (bench/eval_provision_probe.py) must never reach training: it does not match the
# `sentences*.yaml` glob, and is skipped by name as well in case the glob ever widens.
PROBE_FILE = "probe_heldout.yaml"


def written_records() -> list[Record]:
    """Hand-labelled sentences: groups of `{group, source, role?, sentences: [{kinds, text, question?}]}`."""
    records: list[Record] = []
    for path in sorted(SENTENCES_DIR.glob("sentences*.yaml")):
        if path.name != PROBE_FILE:
            records.extend(file_records(path, len(records)))
    return records


def probe_records() -> list[Record]:
    """The held-out probe's sentences (for measuring only, never for training)."""
    return file_records(SENTENCES_DIR / PROBE_FILE)


def file_records(path: Path, numbered_from: int = 0) -> list[Record]:
    records = []
    for group in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        for entry in group["sentences"]:
            kinds = frozenset(entry.get("kinds") or [])
            unknown = kinds - set(KINDS)
            if unknown:
                raise ValueError(f"{path.name}: unknown kinds {sorted(unknown)} for {entry['text'][:60]!r}")
            role = entry.get("role", group.get("role", "AUTRE"))
            # Sentences written one by one: a fold keeps two neighbours together (paraphrases stay on one side).
            name = f"written:{group['group']}:{(numbered_from + len(records)) // 2}"
            records.append(Record(folded_line(entry["text"]), kinds, name, role,
                                  bool(entry.get("question", False)), "written", entry["text"]))
    return records


def real_records(names: list[str] | None = None) -> list[Record]:
    root = real_tenders_dir()
    records = []
    for folder in sorted(p for p in root.iterdir() if (p / "expected.yaml").exists()):
        if names and folder.name not in names:
            continue
        records.extend(tender_records(folder))
    relabel(records)
    return records


def expected_kinds(folder: Path) -> set[str]:
    """Kinds a tender states in words (coded eForms provisions aside)."""
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    return {kind for kind, _ in text_quotes(expected)}


def dataset() -> list[Record]:
    records = real_records() + written_records()
    return [r for r in records if re.search(r"[a-z]{3}", r.text)]


if __name__ == "__main__":
    for record in real_records(sys.argv[1:] or None):
        mark = ",".join(sorted(record.kinds)) or "-"
        print(f"{record.group:28} {record.role:6} {mark:26} {record.shown[:150]}")
