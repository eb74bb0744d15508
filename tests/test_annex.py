"""The Word annex, generated from a real analysed tender and reopened with python-docx."""
import subprocess
import sys
from datetime import date

import docx
import pytest
from docx.oxml.ns import qn

import dce
from procure.outputs.annex import typo_fr, write_annex
from procure.extract import analyze
from procure.advice.suggest import suggest


@pytest.fixture
def annex(tmp_path):
    advice = suggest(analyze(dce.works_tender(tmp_path)))
    path = write_annex(advice, tmp_path / "annexe.docx", generated=date(2026, 11, 22))
    return advice, docx.Document(str(path))


def _texts(document, style_prefix):
    return [p.text for p in document.paragraphs if p.style.name.startswith(style_prefix)]


def test_structure_uses_real_word_headings_lists_and_tables(annex):
    advice, document = annex
    assert _texts(document, "Title") == ["Annexe\u00a0: clauses sociales proposées"]
    headings1 = _texts(document, "Heading 1")
    for lot in advice.lots:
        assert any(h.startswith(f"Lot {lot.lot.number} — ") for h in headings1)
    assert "Correspondance ancien code → code de la commande publique" in headings1
    assert any("Clause d’insertion" in h for h in _texts(document, "Heading 2"))
    summary, old_to_new = document.tables
    assert len(summary.rows) == 1 + len(advice.lots)
    assert summary.rows[1].cells[0].text == "1" and "2\u202f450\u202f000,00" in summary.rows[1].cells[2].text
    assert any(row.cells[0].text == "CMP art. 15" and "L2113-12" in row.cells[2].text for row in old_to_new.rows)
    assert not any("{%" in p.text or "{{" in p.text for p in document.paragraphs)


def test_hours_computation_is_shown_step_by_step(annex):
    advice, document = annex
    lot1 = advice.lots[0]
    clause = next(s for s in lot1.suggestions if s.lever_id == "insertion_clause")
    steps = _texts(document, "List Number")
    assert clause.hours.steps[0] in steps and clause.hours.steps[-1] in steps
    assert "2\u202f042 heures" in clause.hours.steps[-1]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "au minimum 2\u202f042 heures de travail d’insertion" in body


def test_each_numbered_list_restarts(annex):
    _, document = annex
    runs, previous = [], False
    for paragraph in document.paragraphs:
        is_list = paragraph.style.name == "List Number"
        if is_list and not previous:
            runs.append(paragraph._p.pPr.numPr.numId.val)
        previous = is_list
    assert len(runs) >= 3 and len(set(runs)) == len(runs)


def test_existing_clauses_and_points_to_check_are_reported(annex):
    _, document = annex
    quotes = _texts(document, "Quote")
    assert any("Passage déjà présent (CCAP_travaux.docx" in q and "1 200 heures" in q for q in quotes)
    checks = _texts(document, "List Bullet 2")
    assert checks and all("à vérifier" in c for c in checks)
    assert any("[à compléter\u00a0: facilitateur]" in q for q in quotes)


def test_french_typography_and_language(annex):
    _, document = annex
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Acheteur\u00a0: Ville de Vitry-sur-Seine" in body
    assert "l’article L2112-2" in body
    lang = document.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang is not None and lang.get(qn("w:val")) == "fr-FR"
    assert typo_fr("« clause » : 15 %") == "«\u00a0clause\u00a0»\u00a0: 15\u202f%"


def test_cli_annex(tmp_path):
    out = tmp_path / "annexe.docx"
    files = dce.supplies_tender(tmp_path)
    result = subprocess.run([sys.executable, "-m", "procure.cli", "annex", *map(str, files), "--out", str(out),
                             "--date", "2026-09-01"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    document = docx.Document(str(out))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Date de référence : 01/09/2026".replace(" :", "\u00a0:") in body
    assert "Marché réservé aux entreprises adaptées et ESAT — déjà présente" in body
    bad = tmp_path / "faux.pdf"
    bad.write_text("rien")
    refused = subprocess.run([sys.executable, "-m", "procure.cli", "annex", str(bad), "--out", str(tmp_path / "x.docx")],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and not (tmp_path / "x.docx").exists()


def test_cli_suggest_prints_reasons(tmp_path):
    files = dce.services_tender(tmp_path)
    result = subprocess.run([sys.executable, "-m", "procure.cli", "suggest", *map(str, files), "--date", "2026-09-01"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Condition d'exécution sociale OBLIGATOIRE (L2112-2-1)" in result.stdout
    assert "Non-conformité probable" in result.stdout
