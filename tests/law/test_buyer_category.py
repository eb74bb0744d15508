"""The buyer's category chosen in the app when the documents do not tell it drives the L2112-2-1 threshold
(issue #12), on SQLite and PostgreSQL."""
import pytest

import dce
from procure.service.workspace import SYSTEM, AccessDenied, Workspace

TENDER_RC = [
    (dce.H, "RÈGLEMENT DE LA CONSULTATION"),
    (dce.P, "Objet de la consultation : nettoyage des locaux administratifs"),
    (dce.P, "Code CPV : 90911200-8"),
    (dce.P, "Montant estimé : 180 000 € HT"),
    (dce.P, "Durée du marché : 12 mois"),
    (dce.P, "Date limite de réception des offres : 15 octobre 2026"),
]


@pytest.fixture
def setting(sessions, tmp_path):
    ws = Workspace(sessions)
    buyers = ws.create_organisation("Service de l'État", actor=SYSTEM)
    group = ws.create_organisation("CAPAP", actor=SYSTEM)
    ws.create_user("a@etat.fr", "motdepasse-solide", "Acheteur", "buyer", buyers, actor=SYSTEM)
    ws.create_user("r@capap.fr", "motdepasse-solide", "Membre", "reviewer", group, actor=SYSTEM)
    buyer = ws.authenticate("a@etat.fr", "motdepasse-solide")
    reviewer = ws.authenticate("r@capap.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Nettoyage", shared_with_group=True)
    rc = dce.write_docx(tmp_path / "RC.docx", TENDER_RC)
    ws.add_documents(buyer, tender_id, [(rc.name, rc.read_bytes())])
    ws.analyse(buyer, tender_id)
    return ws, buyer, reviewer, tender_id


def reasons(ws, actor, tender_id) -> str:
    items = ws.review_items(actor, tender_id)
    text = " ".join(reason for lot in items["lots"] for s in lot["suggestions"] for reason in s["reasons"])
    return text.replace("\u202f", " ").replace("\u00a0", " ")  # French typography's narrow spaces


def test_chosen_category_sets_the_threshold_at_the_next_analysis(setting):
    ws, buyer, _, tender_id = setting
    assert ws.buyer_category(buyer, tender_id) is None  # the RC names no buyer: nothing to read
    unknown = reasons(ws, buyer, tender_id)
    assert "si l'acheteur relève d'une catégorie" in unknown and "au moins égal au seuil" not in unknown
    ws.set_buyer_category(buyer, tender_id, "central")
    ws.analyse(buyer, tender_id)
    assert ws.buyer_category(buyer, tender_id) == "central"
    # A State service: 180 000 € is above the central threshold, so the obligation applies.
    assert "au moins égal au seuil européen de 140 000,00 € HT" in reasons(ws, buyer, tender_id)


def test_only_the_buyer_sets_the_category_and_only_known_ones(setting):
    from procure.errors import ProcureError

    ws, buyer, reviewer, tender_id = setting
    with pytest.raises(AccessDenied):
        ws.set_buyer_category(reviewer, tender_id, "central")
    with pytest.raises(ProcureError):
        ws.set_buyer_category(buyer, tender_id, "ministere")
    assert ws.buyer_category(buyer, tender_id) is None


def test_the_buyers_defence_answer_prevails_over_the_reading(setting):
    """A defence or security contract is out of the L2112-2-1 obligation: the buyer can say so, or correct a
    reading of the documents that said so, and the next analysis follows the answer."""
    ws, buyer, reviewer, tender_id = setting
    ws.set_buyer_category(buyer, tender_id, "central")
    assert ws.defence_security(buyer, tender_id) is None
    ws.set_defence_security(buyer, tender_id, True)
    ws.analyse(buyer, tender_id)
    assert "au moins égal au seuil" not in reasons(ws, buyer, tender_id)  # out of the obligation
    with pytest.raises(AccessDenied):
        ws.set_defence_security(reviewer, tender_id, False)
    ws.set_defence_security(buyer, tender_id, None)
    ws.analyse(buyer, tender_id)
    assert "au moins égal au seuil européen de 140 000,00 € HT" in reasons(ws, buyer, tender_id)
