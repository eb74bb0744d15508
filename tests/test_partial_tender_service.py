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
