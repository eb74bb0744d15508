"""A real development tender uploaded with its candidate forms goes through the whole pipeline, on SQLite and on
PostgreSQL: upload, analysis, suggestions stored, Word annex.

On PostgreSQL the role "CANDIDATURE" (11 characters) once did not fit `documents.doc_type` and any tender with a
DC1 or a DC2 failed to analyse (code review D1); SQLite ignores lengths, so only a PostgreSQL run shows it. The
development set (`dce-real`) holds the buyers' pieces but not the blank forms they add to a DCE, so the DC1 and
DC2 are written here with the headings and questions of the official forms of the Ministry of the Economy —
including the DC1's "the candidate is an adapted company or an ESAT" box, which must not become a reserved-market
provision: a candidate form asks, it does not state the contract.
"""
from __future__ import annotations

import docx
import pytest
import yaml
from sqlalchemy import func, select

import dce
from procure.db.models import LotRow, SuggestionRow
from procure.service.workspace import SYSTEM, Workspace
from procure.vocabulary import DocumentRole

DC1 = [
    (dce.H, "MARCHÉS PUBLICS — LETTRE DE CANDIDATURE — DC1"),
    (dce.P, "Désignation du mandataire par ses co-traitants. Le formulaire DC1 est un modèle de lettre de "
            "candidature, qui peut être utilisé par les candidats aux marchés publics."),
    (dce.P, "A - Identification de l'acheteur. B - Objet de la consultation. C - Objet de la candidature."),
    (dce.P, "D - Présentation du candidat : le candidat se présente seul ou en groupement."),
    (dce.P, "F - Engagements du candidat : (Cocher la case correspondante.) le candidat est une entreprise adaptée "
            "ou un établissement et service d'aide par le travail mentionnés aux articles L. 2113-12 et L. 2113-13 "
            "du code de la commande publique, ou une structure d'insertion par l'activité économique."),
]
DC2 = [
    (dce.H, "MARCHÉS PUBLICS — DÉCLARATION DU CANDIDAT INDIVIDUEL OU DU MEMBRE DU GROUPEMENT — DC2"),
    (dce.P, "Le formulaire DC2 est un modèle de déclaration qui peut être utilisé par les candidats pour présenter "
            "leur capacité économique et financière ainsi que leurs capacités professionnelles et techniques."),
    (dce.P, "Le candidat déclare sur l'honneur satisfaire à l'obligation d'emploi des travailleurs handicapés "
            "prévue aux articles L. 5212-1 à L. 5212-11 du code du travail."),
    (dce.P, "Chiffre d'affaires global hors taxes des trois derniers exercices disponibles : ..."),
]


@pytest.fixture
def buyer_space(sessions):
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Établissement public territorial Vallée Sud - Grand Paris", actor=SYSTEM)
    ws.create_user("acheteur@vsgp.fr", "motdepasse-solide", "Acheteur", "buyer", organisation, actor=SYSTEM)
    return ws, ws.authenticate("acheteur@vsgp.fr", "motdepasse-solide")


@pytest.mark.parametrize("name", ["vsgp_infogerance", "teina_camp-des-milles"])
def test_a_real_tender_with_its_candidate_forms_goes_through_the_pipeline(buyer_space, sessions, shared_data, tmp_path,
                                                                          name):
    ws, buyer = buyer_space
    folder = shared_data / "dce-real" / name
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    forms = [dce.write_docx(tmp_path / "DC1.docx", DC1), dce.write_pdf(tmp_path / "DC2.pdf", DC2)]
    uploads = [(file, (folder / file).read_bytes()) for file in expected["files"]]
    uploads += [(form.name, form.read_bytes()) for form in forms]

    tender_id = ws.create_tender(buyer, expected["tender"], False)
    assert ws.add_documents(buyer, tender_id, uploads) == [file for file, _ in uploads]  # every piece kept
    result = ws.analyse(buyer, tender_id)

    assert result.problems == {} and result.step_problems == []
    roles = {d["filename"]: d["doc_type"] for d in ws.documents(buyer, tender_id)}
    assert roles["DC1.docx"] == roles["DC2.pdf"] == DocumentRole.CANDIDATURE
    assert all(DocumentRole(roles[file]) is not DocumentRole.CANDIDATURE for file in expected["files"]), roles
    assert result.lots == len(expected["lots"])

    # The candidate forms state no provision: the DC1's "entreprise adaptée ou ESAT" box is not a reserved market.
    provisions = {p.kind.value for p in result.advice.tender.provisions} | {
        p.kind.value for lot in result.advice.tender.lots for p in lot.provisions}
    assert provisions == {p["kind"] for p in expected["provisions"]}

    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(SuggestionRow).join(LotRow)
                                .where(LotRow.tender_id == tender_id, LotRow.analysis_version == result.version))
    assert stored == result.suggestions > 0

    annex = ws.annex(buyer, tender_id, tmp_path / "annexe.docx")
    document = docx.Document(str(annex))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")  # the annex's typography
    levers = {s.title for lot in result.advice.lots for s in lot.suggestions}
    assert any(title.replace("\u2019", "'") in text for title in levers), (levers, text[:800])
