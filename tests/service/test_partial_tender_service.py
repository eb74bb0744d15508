"""A tender that states its insertion hours but no amount is analysed and stored like any partial tender
(issue #26: it raised a TypeError while the analysis was saved, on SQLite and PostgreSQL)."""
from __future__ import annotations

import dce
from procure.service.workspace import SYSTEM, Workspace


def test_hours_without_amount_are_analysed_and_stored(sessions, tmp_path):
    ws = Workspace(sessions)
    town = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    ws.create_user("acheteur@vitry.fr", "motdepasse-solide", "acheteur", "buyer", town, actor=SYSTEM)
    buyer = ws.authenticate("acheteur@vitry.fr", "motdepasse-solide")
    rc = dce.write_docx(tmp_path / "RC.docx", [
        (dce.H, "Règlement de la consultation"),
        (dce.P, "Objet de la consultation : nettoyage des locaux de la mairie de Vitry-sur-Seine"),
        (dce.P, "Clause sociale : le titulaire réalisera une action d'insertion de 500 heures de travail sur la durée du marché."),
    ])
    tender_id = ws.create_tender(buyer, "Nettoyage", False)
    ws.add_documents(buyer, tender_id, [(rc.name, rc.read_bytes())])
    ws.analyse(buyer, tender_id)
    items = ws.review_items(buyer, tender_id)
    (lot,) = items["lots"]
    assert lot["amount_ht"] is None
    insertion = next(s for s in lot["suggestions"] if s["lever_id"] == "insertion_clause")
    assert "500" in str(insertion)


def test_every_document_role_fits_its_column():
    from procure.db.models import DocumentRow
    from procure.extract.reading import ROLE_RANK

    length = DocumentRow.__table__.c.doc_type.type.length
    assert all(len(role) <= length for role in ROLE_RANK), [r for r in ROLE_RANK if len(r) > length]


def test_a_tender_with_a_candidate_form_is_analysed(sessions, tmp_path):
    """On PostgreSQL the role "CANDIDATURE" did not fit documents.doc_type (VARCHAR(10)): any tender with a DC1
    failed to analyse (code review D1)."""
    ws = Workspace(sessions)
    town = ws.create_organisation("Ville de Créteil", actor=SYSTEM)
    ws.create_user("acheteur@creteil.fr", "motdepasse-solide", "acheteur", "buyer", town, actor=SYSTEM)
    buyer = ws.authenticate("acheteur@creteil.fr", "motdepasse-solide")
    rc = dce.write_docx(tmp_path / "RC.docx", [(dce.H, "Règlement de la consultation"),
                                               (dce.P, "Objet de la consultation : entretien des espaces verts")])
    dc1 = dce.write_docx(tmp_path / "DC1.docx", [(dce.H, "Lettre de candidature et habilitation du mandataire (DC1)"),
                                                 (dce.P, "Identification du candidat individuel ou du groupement")])
    tender_id = ws.create_tender(buyer, "Espaces verts", False)
    ws.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in (rc, dc1)])
    ws.analyse(buyer, tender_id)
    roles = {d["filename"]: d["doc_type"] for d in ws.documents(buyer, tender_id)}
    assert roles == {"RC.docx": "RC", "DC1.docx": "CANDIDATURE"}
