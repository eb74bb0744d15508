"""Measure the shipped provision reader on the held-out probe (models/provision_sentences/probe_heldout.yaml).

The probe holds sentences in wordings that training never saw (`scripts/provision_sentences.py` skips the file):
it estimates how the reader does on tenders written by other buyers, which the cross-validation of
`bench/eval_provision_sentences.py` (paraphrases of the same sources on both sides) over-estimates.

Inference path: the same as in procure and in eval_provision_sentences, with the SHIPPED weights
(`models/provision_judge.npz`, never refitted here): each probe sentence is cut by the candidate stage
(`procure.extract.candidates.candidates`: splitting, TOPIC_RE), each candidate piece is judged
(`provision_judge.judge`: model, vetoes, rules), and the sentence's verdict is the union of its pieces' kinds
(none when the candidate stage keeps no piece).
Figures for the whole probe and for its three parts: A (whose misses led to the fixes of 2026-12-03), B (written
after them; its misses led to a second round of general fixes) and C (written after both, measured once, never
used to change the reader: the held-out estimate to quote).

Usage:
    python bench/eval_provision_probe.py [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))
import provision_sentences  # noqa: E402
from eval_provision_sentences import score, table  # noqa: E402

from procure.extract.candidates import candidates  # noqa: E402
from procure.extract.provision_judge import judge, load_model  # noqa: E402


def verdict(record, model) -> set[str]:
    """Kinds read in one probe sentence: union over the candidate pieces the splitter makes of it."""
    pieces = list(candidates(record.shown, paragraph_lines=True))
    if not pieces:
        return set()
    judged = judge([p.folded for p in pieces], [record.role] * len(pieces), [record.in_question] * len(pieces), model=model)
    return {kind.value for kinds in judged for kind in kinds}


def part_of(record) -> str:
    """Part A: the first probe, whose misses led to fixes; B (groups « probe-b-… »): written after them, whose
    misses led to a second round; C (« probe-c-… »): written after both, never used to change the reader."""
    found = re.match(r"written:probe-([bc])-", record.group)
    return found.group(1).upper() if found else "A"


def evaluate() -> dict:
    model = load_model()
    if model is None:
        raise SystemExit("no shipped judge (models/provision_judge.npz)")
    records = provision_sentences.probe_records()
    verdicts = [verdict(r, model) for r in records]
    result = score([(set(r.kinds), v) for r, v in zip(records, verdicts)])
    result["misses"] = [{"group": r.group, "expected": sorted(r.kinds), "judged": sorted(v), "sentence": r.shown}
                        for r, v in zip(records, verdicts) if set(r.kinds) - v]
    result["false_alarms"] = [{"group": r.group, "expected": sorted(r.kinds), "judged": sorted(v), "sentence": r.shown}
                              for r, v in zip(records, verdicts) if v - set(r.kinds)]
    result["positives"] = sum(1 for r in records if r.kinds)
    result["parts"] = {part: score([(set(r.kinds), v) for r, v in zip(records, verdicts) if part_of(r) == part])
                       for part in ("A", "B", "C")}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    result = evaluate()
    print(f"{result['items']} probe sentences ({result['positives']} stating a provision), shipped judge\n")
    print(table(result, "kind") + "\n")
    for part, figures in result["parts"].items():
        o = figures["overall"]
        print(f"part {part} ({figures['items']} sentences): TP {o['tp']} FP {o['fp']} FN {o['fn']}  "
              f"P {o['precision']:.3f} R {o['recall']:.3f} F1 {o['f1']:.3f}")
    print()
    for name in ("misses", "false_alarms"):
        print(f"{name.replace('_', ' ').capitalize()} ({len(result[name])})")
        for error in result[name]:
            print(f"  expected {error['expected']} judged {error['judged']}: {error['sentence']}")
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
