"""The held-out probe of the provision reader: its figures are held by a ratchet
(bench/eval_provision_probe.py, bench/provision_probe_ratchet.json) and training never reads it."""
from __future__ import annotations

import sys
from pathlib import Path

import benches

REPO = Path(__file__).resolve().parents[2]
RATCHET = benches.ratchet("provision_probe_ratchet")
sys.path.insert(0, str(REPO / "scripts"))


def test_training_never_reads_the_probe():
    import provision_sentences

    probe = {r.text for r in provision_sentences.probe_records()}
    training = {r.text for r in provision_sentences.written_records()}
    assert probe and not probe & training


def test_probe_figures_do_not_fall():
    result = benches.load("eval_provision_probe").evaluate()
    for name, figures in (("overall", result["overall"]), ("part_C", result["parts"]["C"]["overall"])):
        for measure in ("precision", "recall"):
            floor = RATCHET[name][measure]
            assert figures[measure] >= floor - 1e-9, f"probe {name} {measure} {figures[measure]:.3f} < {floor}"
