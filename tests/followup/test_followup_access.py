"""Who may do what in the clause follow-up, on a real database (SQLite and PostgreSQL): every role × every kind of
commitment, by calling each entry point for real. The expected matrix is written by hand from the rules of issue 25
(README, « Règles d'accès »), not derived from procure.service.access.
"""
from datetime import date

import pytest
from followup_world import build_world, statement_csv

from procure.service import access
from procure.service.workspace import AccessDenied


@pytest.fixture
def world(sessions, tmp_path):
    world = build_world(sessions, tmp_path / "dce", shared=True)
    ws, users, orgs = world["ws"], world["users"], world["orgs"]
    buyer_a, buyer_b = users["buyer_a"], users["buyer_b"]
    (from_tender,) = [c.id for c in ws.followup.commitments_from_analysis(
        buyer_a, world["tender"], date(2026, 1, 1), holder_name="Bâtir SA", facilitator_organisation_id=orgs["mde"],
        lots=[1]).created]
    world["commitments"] = {
        "tender_a": from_tender,  # from town A's shared, analysed tender, facilitator: the Maison de l'emploi
        "manual_a": ws.followup.create_commitment(  # typed by town A, no tender, same facilitator
            buyer_a, key="A-2025-7/lot1", lot_title="Nettoyage des écoles", start=date(2025, 9, 1), duration_months=36,
            hours_total=900, facilitator_organisation_id=orgs["mde"]),
        "manual_b": ws.followup.create_commitment(  # town B's, with the other facilitator
            buyer_b, key="B-2026-1/lot1", lot_title="Espaces verts", start=date(2026, 1, 1), duration_months=24,
            hours_per_year=500, facilitator_organisation_id=orgs["plie"]),
    }
    return world


# actor -> commitment -> (see, edit, enter statements)
EXPECTED = {
    "buyer_a": {"tender_a": "TTT", "manual_a": "TTT", "manual_b": "FFF"},
    "buyer_b": {"tender_a": "FFF", "manual_a": "FFF", "manual_b": "TTT"},
    "reviewer_g": {"tender_a": "TFF", "manual_a": "FFF", "manual_b": "FFF"},
    "facilitator_m": {"tender_a": "TFT", "manual_a": "TFT", "manual_b": "FFF"},
    "facilitator_p": {"tender_a": "FFF", "manual_a": "FFF", "manual_b": "TFT"},
    "admin": {"tender_a": "TTT", "manual_a": "TTT", "manual_b": "TTT"},
}


def allowed(call) -> bool:
    try:
        call()
    except AccessDenied:
        return False
    return True


def observed(ws, admin, user, commitment_id: int, month: date) -> str:
    listed = commitment_id in {c.id for c in ws.followup.commitments(user)}
    see = allowed(lambda: ws.followup.commitment(user, commitment_id)) and allowed(
        lambda: ws.followup.history(user, commitment_id))
    if see != listed:
        return "listing and reading disagree"
    version = ws.followup.commitment(admin, commitment_id).version
    edit = allowed(lambda: ws.followup.edit_commitment(user, commitment_id, version, holder_name=f"Titulaire {month:%m}"))
    enter = allowed(lambda: ws.followup.enter_statement(user, commitment_id, month, hours={"direct_hire": 10},
                                                        today=date(2026, 12, 15)))
    if see:
        view = ws.followup.commitment(user, commitment_id)
        if (view.can_edit, view.can_enter_statements) != (edit, enter):
            return "the UI's permissions disagree with the library"
    return "".join("T" if flag else "F" for flag in (see, edit, enter))


def test_every_role_on_every_kind_of_commitment(world):
    ws, users = world["ws"], world["users"]
    found = {name: {kind: observed(ws, users["admin"], users[name], cid, date(2026, 1 + index, 1))
                    for kind, cid in world["commitments"].items()}
             for index, name in enumerate(EXPECTED)}
    assert found == EXPECTED


def test_a_facilitator_changes_no_clause_decision_nor_tender(world):
    ws, users, tender_id = world["ws"], world["users"], world["tender"]
    facilitator = users["facilitator_m"]
    suggestion = ws.review_items(users["admin"], tender_id)["lots"][0]["suggestions"][0]
    refused = [
        lambda: ws.review_items(facilitator, tender_id),  # the DCE stays confidential
        lambda: ws.review(facilitator, "suggestion", suggestion["id"], "accept", suggestion["version"]),
        lambda: ws.add_documents(facilitator, tender_id, []),
        lambda: ws.analyse(facilitator, tender_id),
        lambda: ws.create_tender(facilitator, "Marché du facilitateur"),
        lambda: ws.followup.commitments_from_analysis(facilitator, tender_id, date(2026, 1, 1)),
        lambda: ws.followup.create_commitment(facilitator, key="F/lot1", lot_title="x", start=date(2026, 1, 1),
                                              duration_months=12, hours_total=100),
    ]
    assert [allowed(call) for call in refused] == [False] * len(refused)
    assert ws.visible_tenders(facilitator) == []


def test_an_import_never_reaches_a_lot_the_actor_does_not_follow(world):
    ws, users = world["ws"], world["users"]
    commitments = {c.id: c.commitment.key for c in ws.followup.commitments(users["admin"])}
    own, other = commitments[world["commitments"]["manual_a"]], commitments[world["commitments"]["manual_b"]]
    content = statement_csv([{"key": own, "month": "01/2026", "hours_direct_hire": "70"},
                             {"key": other, "month": "01/2026", "hours_direct_hire": "999"}])
    outcome = ws.followup.import_statements(users["facilitator_m"], content, "releve.csv", today=date(2026, 3, 1))
    assert outcome.added == 1
    assert [p.row for p in outcome.problems] == [3] and "inconnu" in outcome.problems[0].message_fr
    assert ws.followup.statements(users["buyer_b"]) == []  # town B's lot untouched, and not even said to exist
    with pytest.raises(AccessDenied):  # the working group reads, never imports
        ws.followup.enter_statement(users["reviewer_g"], world["commitments"]["tender_a"], date(2026, 1, 1),
                                    hours={"direct_hire": 1}, today=date(2026, 3, 1))


def test_sql_visibility_says_what_the_policy_says(world):
    from procure.db.models import FollowupCommitment, TenderRow

    ws, users = world["ws"], world["users"]
    with ws.sessions() as session:
        rows = session.query(FollowupCommitment, TenderRow.shared_with_group).outerjoin(
            TenderRow, TenderRow.id == FollowupCommitment.tender_id).all()
        facts = [(row.id, _Facts(row.organisation_id, row.facilitator_organisation_id, bool(shared)))
                 for row, shared in rows]
    for name, user in users.items():
        by_policy = {cid for cid, fact in facts if access.can_see_commitment(user, fact)}
        assert {c.id for c in ws.followup.commitments(user)} == by_policy, name
    ws.set_shared(users["buyer_a"], world["tender"], False)  # unshared: the working group no longer sees its lots
    assert ws.followup.commitments(users["reviewer_g"]) == []


class _Facts:
    def __init__(self, organisation_id, facilitator_organisation_id, tender_shared):
        self.organisation_id = organisation_id
        self.facilitator_organisation_id = facilitator_organisation_id
        self.tender_shared = tender_shared
