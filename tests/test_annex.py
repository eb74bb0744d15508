"""The Word annex, generated from a real analysed tender and reopened with python-docx."""
import subprocess
import sys
from datetime import date

import re
from datetime import datetime

import docx
import pytest
from docx.oxml.ns import qn

import dce
from procure.outputs.annex import Decision, annex_context, typo_fr, unnest_parentheses, write_annex
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


def _body(document) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_hours_computed_when_the_dossier_has_none_and_one_figure_otherwise(annex):
    advice, document = annex
    steps = _texts(document, "List Number")
    lot3 = next(s for s in advice.lots[2].suggestions if s.lever_id == "insertion_clause")
    assert lot3.existing is None or lot3.existing.hours is None
    assert all(typo_fr(step) in steps for step in lot3.hours.steps)
    body = _body(document)
    lot1_text = body.split("Lot 1 — ")[1].split("Lot 2 — ")[0]
    # Lot 1: the CCAP already requires 1 200 hours; the clause repeats that figure, never procure's 2 042.
    assert "au minimum 1\u202f200 heures de travail d’insertion" in lot1_text
    assert "Volume d’heures d’insertion fixé par le dossier" in lot1_text
    assert "au minimum 2\u202f042" not in lot1_text


def test_placeholders_are_accented_and_name_what_the_buyer_decides(annex):
    _, document = annex
    body = _body(document)
    placeholders = set(re.findall(r"\[à compléter\u00a0: ([^\]]+)\]", body))
    assert placeholders and placeholders <= {"pénalité", "numéro du critère", "facilitateur", "numéro de l’article",
                                             "produits concernés", "nombre d’heures", "nom de l’acheteur"}
    assert "penalite" not in body and "numero critere" not in body


def test_no_nested_parentheses(annex):
    _, document = annex
    for text in _body(document).splitlines():
        depth = 0
        for char in text:
            depth += (char == "(") - (char == ")")
            assert depth <= 1, text
    assert unnest_parentheses("date limite (approximation (à vérifier))") == "date limite (approximation, à vérifier)"


def test_buyer_named_from_the_organisation_when_the_dossier_omits_it(tmp_path):
    advice = suggest(analyze(dce.works_tender(tmp_path)))
    advice.tender.buyer = None
    assert annex_context(advice, buyer="Ville de Vitry-sur-Seine")["buyer"] == "Ville de Vitry-sur-Seine"
    assert "[à compléter" in annex_context(advice)["buyer"]


def test_decision_labels_say_who_decided():
    at = datetime(2026, 11, 12, 9, 30)
    assert Decision("accepted", "Marie Curie", "buyer", at).label_fr() == "retenue par l'acheteur (Marie Curie, 12/11/2026)"
    assert Decision("rejected", "Paul", "reviewer", at).label_fr() == "écartée par le groupe de travail (Paul, 12/11/2026)"
    assert Decision("pending").label_fr() == "en attente de décision"


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
    assert "Condition d'exécution sociale obligatoire" in result.stdout and "(L2112-2-1)" in result.stdout
    assert "Non-conformité" in result.stdout
