"""Measure the provision judge by sentence and by tender, with cross-validation grouped by tender.

Data (`scripts/provision_sentences.py`): every candidate sentence of the real tenders of ../shared/data/dce-real,
labelled by the quotes of their `expected.yaml` (plus the hand labels of `models/provision_sentences/
dce_real_labels.yaml`), and the hand-labelled sentences of `models/provision_sentences/sentences.yaml`.

Every sentence goes through the candidate stage first (`procure.extract.candidates.TOPIC_RE`): one it drops is
judged none, so the figures are those of candidates and judge together.
Protocol: GroupKFold (5 folds) where a group is one tender (or one hand-written source): a fold's judge never saw
a sentence of the tenders it is scored on. Each fold fits the judge with `scripts/train_provision_judge.fit`,
then scores its test sentences with the very inference and rules that run in procure
(`procure.extract.provision_judge.judge`: NumPy weights, vetoes of questions, negations, forms, price schedules).

By sentence: for each kind, a true positive is a sentence labelled with the kind and judged so; precision,
recall and F1 per kind and micro-averaged over kinds ("overall").
By tender (real tenders only): the kinds a tender states in words (union of its sentences' labels) against the
kinds judged in any of its sentences; coded eForms provisions (BT-71, BT-736, BT-775, notice type) are the eForms
reader's and are left out.

Usage:
    PROCURE_SHARED_DATA=../shared/data python bench/eval_provision_sentences.py [--json PATH] [--folds 5]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))
import provision_sentences  # noqa: E402
import train_provision_judge  # noqa: E402

from procure.extract.candidates import TOPIC_RE  # noqa: E402
from procure.extract.provision_judge import JudgeModel, judge  # noqa: E402

KINDS = provision_sentences.KINDS


def cross_validated_verdicts(records, folds: int = 5) -> list[set[str]]:
    """The kinds judged for each record by a judge fitted on the other groups."""
    groups = [r.group for r in records]
    verdicts: list[set[str]] = [set() for _ in records]
    for train, test in GroupKFold(n_splits=folds).split(np.zeros(len(records)), groups=groups):
        arrays, _ = train_provision_judge.fit([records[i] for i in train])
        model = JudgeModel.from_arrays(arrays)
        tested = [records[i] for i in test]
        judged = judge([r.text for r in tested], [r.role for r in tested], [r.in_question for r in tested], model=model)
        for index, kinds in zip(test, judged):
            # The judge only ever sees candidate sentences: a sentence the candidate stage drops is judged none.
            verdicts[index] = {kind.value for kind in kinds} if TOPIC_RE.search(records[index].text) else set()
    return verdicts


def prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def score(pairs: list[tuple[set[str], set[str]]]) -> dict:
    """Per kind and overall (micro) figures of (expected, judged) kind sets."""
    counts = {kind: [0, 0, 0] for kind in KINDS}
    for expected, judged in pairs:
        for kind in KINDS:
            if kind in expected and kind in judged:
                counts[kind][0] += 1
            elif kind in judged:
                counts[kind][1] += 1
            elif kind in expected:
                counts[kind][2] += 1
    per_kind = {kind: prf(*c) for kind, c in counts.items()}
    overall = prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return {"overall": overall, "per_kind": per_kind, "items": len(pairs)}


def evaluate(folds: int = 5) -> dict:
    records = provision_sentences.dataset()
    verdicts = cross_validated_verdicts(records, folds)
    by_sentence = score([(set(r.kinds), v) for r, v in zip(records, verdicts)])
    tenders: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for record, verdict in zip(records, verdicts):
        if record.origin == "real":
            tenders[record.group][0].update(record.kinds)
            tenders[record.group][1].update(verdict)
    by_tender = score(list(tenders.values()))
    errors = [{"group": r.group, "expected": sorted(r.kinds), "judged": sorted(v), "sentence": r.shown[:200]}
              for r, v in zip(records, verdicts) if set(r.kinds) != v]
    return {"sentences": len(records), "positives": sum(1 for r in records if r.kinds),
            "real_sentences": sum(1 for r in records if r.origin == "real"), "tenders": len(tenders),
            "folds": folds, "by_sentence": by_sentence, "by_tender": by_tender, "errors": errors}


def table(result: dict, name: str) -> str:
    lines = [f"{name:27} {'TP':>4} {'FP':>4} {'FN':>4} {'P':>7} {'R':>7} {'F1':>7}"]
    rows = list(result["per_kind"].items()) + [("overall", result["overall"])]
    for kind, s in rows:
        if kind != "overall" and s["tp"] + s["fp"] + s["fn"] == 0:
            continue
        lines.append(f"{kind:27} {s['tp']:4} {s['fp']:4} {s['fn']:4} {s['precision']:7.3f} {s['recall']:7.3f} {s['f1']:7.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    result = evaluate(args.folds)
    print(f"{result['sentences']} sentences ({result['positives']} stating a provision; {result['real_sentences']} from "
          f"{result['tenders']} real tenders), GroupKFold {result['folds']} folds by tender\n")
    print("By sentence\n" + table(result["by_sentence"], "kind") + "\n")
    print("By tender (real tenders, kinds stated in words)\n" + table(result["by_tender"], "kind") + "\n")
    print("Errors (cross-validated)")
    for error in result["errors"]:
        print(f"  {error['group']:32} expected {error['expected']} judged {error['judged']}: {error['sentence']}")
    print(f"\nElapsed: {time.perf_counter() - started:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
