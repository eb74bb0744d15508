"""The Word annex, generated from a real analysed tender and reopened with python-docx."""
import re
import subprocess
import sys
from datetime import date, datetime

import docx
import pytest
from docx.oxml.ns import qn

import dce
from procure.advice.suggest import suggest
from procure.extract import analyze
from procure.outputs.annex import Decision, annex_context, typo_fr, unnest_parentheses, write_annex


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
                                             "produits concernés", "nombre d’heures", "nom de l’acheteur",
                                             "durée de conservation", "plafond des pénalités",
                                             "pénalité pour compte rendu manquant", "volume d’heures d’insertion"}
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
    files = dce.supplies_tender(tmp_path)  # 395 000 € HT for a commune: above 216 000 €
    result = subprocess.run([sys.executable, "-m", "procure.cli", "suggest", *map(str, files), "--date", "2026-09-01"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Condition d'exécution sociale obligatoire (L2112-2-1), sauf exception justifiée et consignée" in result.stdout
    assert "Non-conformité" not in result.stdout


def test_cli_suggest_legal_advice_is_a_specific_service(tmp_path):
    """79111000 (legal advice) is in annex XIV: 750 000 € threshold, R2123-1 3° offered, flagged to check."""
    files = dce.services_tender(tmp_path)
    result = subprocess.run([sys.executable, "-m", "procure.cli", "suggest", *map(str, files), "--date", "2026-09-01"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "services sociaux et autres services spécifiques" in result.stdout and "R2123-1 3°" in result.stdout
    assert "plutôt que du seuil général des services" in result.stdout


@pytest.fixture
def reviewed(sessions, tmp_path):
    """A buyer and a working-group member who decided on a stored analysis (real database)."""
    from procure.directory.demo import demo_suppliers
    from procure.directory.suppliers import SupplierRepository
    from procure.service.workspace import SYSTEM, Workspace

    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    town = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    group = ws.create_organisation("Groupe achats responsables", actor=SYSTEM)
    ws.create_user("a@vitry.fr", "motdepasse-solide", "Alice Martin", "buyer", town, actor=SYSTEM)
    ws.create_user("r@groupe.fr", "motdepasse-solide", "René Petit", "reviewer", group, actor=SYSTEM)
    buyer, reviewer = ws.authenticate("a@vitry.fr", "motdepasse-solide"), ws.authenticate("r@groupe.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Travaux", shared_with_group=True)
    ws.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    ws.analyse(buyer, tender_id)
    return ws, buyer, reviewer, tender_id


def test_annex_renders_the_stored_reviewed_suggestions_and_who_decided(reviewed, tmp_path):
    import json

    from procure.db.models import SuggestionRow

    ws, buyer, reviewer, tender_id = reviewed
    lot3 = ws.review_items(buyer, tender_id)["lots"][2]
    clause = next(s for s in lot3["suggestions"] if s["lever_id"] == "insertion_clause")
    siae = next(s for s in lot3["suggestions"] if s["lever_id"] == "reserved_siae")
    with ws.sessions.begin() as session:  # what the group reviewed is what the annex prints, even if the law moved
        row = session.get(SuggestionRow, clause["id"])
        payload = json.loads(row.payload_json)
        payload["clause_paragraphs"].append("Texte tel qu'enregistré lors de l'analyse examinée.")
        row.payload_json = json.dumps(payload, ensure_ascii=False)
    ws.review(buyer, "suggestion", clause["id"], "accept", clause["version"])
    ws.review(reviewer, "suggestion", siae["id"], "reject", siae["version"])
    match = lot3["matches"][0]
    ws.review(reviewer, "match", match["id"], "accept", match["version"])
    document = docx.Document(str(ws.annex(buyer, tender_id, tmp_path / "annexe.docx")))
    body = _body(document)
    lot3_text = "\n".join(p.text for p in document.paragraphs).split("Lot 3 — ")[1]
    assert "Texte tel qu’enregistré lors de l’analyse examinée." in lot3_text
    assert "Décision\u00a0: retenue par l’acheteur (Alice Martin," in lot3_text
    assert "structures d’insertion par l’activité économique — " not in lot3_text.split("Correspondance")[0]
    decisions = next(t for t in document.tables if t.rows[0].cells[0].text == "Lot" and len(t.columns) == 5)
    rows = [[c.text for c in row.cells] for row in decisions.rows[1:]]
    assert any(r[:4] == ["3", typo_fr(clause["title"]), "retenue", "Alice Martin, l’acheteur"] for r in rows)
    assert any(r[2] == "écartée" and r[3] == "René Petit, le groupe de travail" for r in rows)
    assert ["3", typo_fr(f"Structure pour le sourcing : {match['supplier']['name']}"), "retenue",
            "René Petit, le groupe de travail"] in [r[:4] for r in rows]
    supplier = match["supplier"]
    listed = [[c.text for c in row.cells] for t in document.tables if t.rows[0].cells[0].text == "Structure"
              for row in t.rows[1:]]
    assert any(r[0].startswith(supplier["name"]) and r[3].replace("\u00a0", "") == supplier["siret"] and r[2]
               for r in listed)
    assert "Acheteur\u00a0: Ville de Vitry-sur-Seine" in body


def test_tracked_document_from_the_review(reviewed, tmp_path):
    ws, buyer, reviewer, _ = reviewed
    tender_id = ws.create_tender(buyer, "Nettoyage des locaux")
    ccap = dce.write_docx(tmp_path / "CCAP_conseil.docx", [
        (dce.H, "CAHIER DES CLAUSES ADMINISTRATIVES PARTICULIÈRES"), (dce.H, "Article 1 – Objet du marché"),
        (dce.P, "Le marché a pour objet des prestations de nettoyage des locaux."),
        (dce.H, "Article 6 – Conditions d'exécution des prestations"), (dce.P, "Les prestations sont exécutées à Grasse.")])
    # Cleaning (90911200) rather than legal advice: legal services are specific services of annex XIV (750 000 €),
    # so a 250 000 € legal-advice contract no longer calls for an insertion clause.
    rc = [(kind, text.replace("79111000-5", "90911200-8").replace("conseil juridique en droit public", "nettoyage des locaux"))
          if isinstance(text, str) else (kind, text) for kind, text in dce.SERVICES_RC]
    files = [dce.write_pdf(tmp_path / "RC_services.pdf", rc), ccap]
    ws.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in files])
    ws.analyse(buyer, tender_id)
    clause = next(s for s in ws.review_items(buyer, tender_id)["lots"][0]["suggestions"] if s["lever_id"] == "insertion_clause")
    ws.review(buyer, "suggestion", clause["id"], "accept", clause["version"])
    result = ws.tracked_document(buyer, tender_id, "CCAP_conseil.docx", tmp_path / "CCAP_clauses.docx")
    assert [p.clause.lever_id for p in result.placements] == ["insertion_clause"]
    assert "Article 6 – Conditions d'exécution des prestations" in result.placements[0].where
    inserted = [p for p in docx.Document(str(result.path)).element.body.iter(qn("w:ins"))]
    assert inserted and all(i.get(qn("w:author")) == "procure" for i in inserted)
    with pytest.raises(ValueError):
        ws.tracked_document(buyer, tender_id, "absent.docx", tmp_path / "x.docx")


def test_fictitious_structures_are_marked_once():
    from procure.outputs.annex import fictitious_mark

    assert fictitious_mark("Bâtir Ensemble 94 [fictive]", True) == "Bâtir Ensemble 94 [fictive]"
    assert fictitious_mark("Régie Nord", True) == "Régie Nord — structure FICTIVE de démonstration"
    assert fictitious_mark("Régie Nord", False) == "Régie Nord"
