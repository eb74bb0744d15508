"""The follow-up service on a real database (SQLite and PostgreSQL): commitments from a really analysed tender (3 000
insertion hours per year, 100 € per hour not done) and from a real eForms notice of the development set (1 800 hours
over the whole contract), statement imports that are idempotent and never let a poorer file erase figures, the audit
trail, alerts and the yearly consolidation."""
from datetime import date
from decimal import Decimal

import pytest
from followup_world import build_world, months, statement_csv

from procure.errors import ProcureError
from procure.followup.model import AlertKind, Route
from procure.service.workspace import SYSTEM, Workspace


@pytest.fixture
def world(sessions, tmp_path):
    return build_world(sessions, tmp_path / "dce")


def test_commitments_from_the_reviewed_analysis(world):
    ws, users, orgs = world["ws"], world["users"], world["orgs"]
    analysis = ws.review_items(users["buyer_a"], world["tender"])
    lots = {lot["number"]: lot for lot in analysis["lots"]}
    stated = analysis["tender"]["analysis"]
    made = ws.followup.commitments_from_analysis(users["buyer_a"], world["tender"], date(2026, 1, 1),
                                                 holder_name="Bâtir SA", holder_siret="41071771400035",
                                                 facilitator_organisation_id=orgs["mde"])
    assert sorted(v.lot_number for v in made.created) == sorted(lots)  # the clause covers every lot
    first = next(v for v in made.created if v.lot_number == 1)
    commitment = first.commitment
    assert commitment.hours_per_year == 3000 and commitment.hours_total is None
    assert commitment.penalty_per_hour == Decimal("100.00")
    assert "Article 14" in commitment.evidence and "100 € par heure" in commitment.evidence
    assert "CCAP_insertion.docx" in commitment.evidence
    duration = next(lot for lot in stated["lots"] if lot["number"] == 1)["duration_months"]["value"]
    assert commitment.duration_months == duration
    assert commitment.department == "94" and commitment.trade  # Vitry-sur-Seine; the lot's trade
    assert first.facilitator_name == "Maison de l'emploi" and first.source == "analysis"
    again = ws.followup.commitments_from_analysis(users["buyer_a"], world["tender"], date(2026, 1, 1))
    assert again.created == [] and all("déjà suivi" in reason for reason in again.skipped)
    (event,) = ws.followup.history(users["buyer_a"], first.id)
    assert event["action"] == "commitment_created" and event["who"] == "buyer a"


def test_a_real_notice_with_hours_over_the_whole_contract(sessions, shared_data):
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Département des Bouches-du-Rhône", actor=SYSTEM)
    ws.create_user("cd13@x.fr", "motdepasse-solide", "CD13", "buyer", organisation, actor=SYSTEM)
    buyer = ws.authenticate("cd13@x.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Télégestion APA")
    notice = shared_data / "dce-real" / "ted_529570-2024" / "529570-2024.xml"
    ws.add_documents(buyer, tender_id, [(notice.name, notice.read_bytes())])
    ws.analyse(buyer, tender_id)
    drafts, _ = ws.followup.commitment_drafts(buyer, tender_id)
    (draft,) = drafts
    assert draft["hours_total"] == 1800 and draft["hours_per_year"] is None
    assert draft["duration_months"] == 48 and draft["department"] == "13"
    (view,) = ws.followup.commitments_from_analysis(buyer, tender_id, date(2024, 9, 1)).created
    assert view.commitment.penalty_per_hour is None  # the notice states no penalty: none is invented


def _setup(world):
    ws, users, orgs = world["ws"], world["users"], world["orgs"]
    made = ws.followup.commitments_from_analysis(users["buyer_a"], world["tender"], date(2026, 1, 1),
                                                 holder_name="Bâtir SA", facilitator_organisation_id=orgs["mde"],
                                                 lots=[1], duration_months=48)
    return ws, users, made.created[0]


def test_import_is_idempotent_and_never_erased_by_a_poorer_file(world):
    ws, users, view = _setup(world)
    key, facilitator, today = view.commitment.key, users["facilitator_m"], date(2026, 7, 15)
    rich = statement_csv([{"key": key, "month": f"{m:%m/%Y}", "hours_direct_hire": "150",
                           "hours_training": "20", "participants_rsa": "1", "contracts_cddi": "1"}
                          for m in months(2026, 1, 6)])
    first = ws.followup.import_statements(facilitator, rich, "releve-juin.csv", today=today)
    assert (first.added, first.corrected, first.unchanged, first.problems) == (6, 0, 0, [])
    again = ws.followup.import_statements(facilitator, rich, "releve-juin.csv", today=today)
    assert (again.added, again.corrected, again.unchanged) == (0, 0, 6)
    poorer = statement_csv([{"key": key, "month": "03/2026", "hours_direct_hire": "160"}])
    third = ws.followup.import_statements(facilitator, poorer, "export-mde.csv", today=today)
    assert (third.added, third.corrected) == (0, 1) and third.kept
    stored = {s.month: s for s in ws.followup.statements(users["buyer_a"], view.id)}
    assert len(stored) == 6
    assert stored[date(2026, 3, 1)].hours == {Route.DIRECT_HIRE: 160, Route.TRAINING: 20}  # training kept
    bad = statement_csv([{"key": key, "month": "09/2026", "hours_direct_hire": "10"},  # a month to come
                         {"key": key, "month": "04/2026", "hours_direct_hire": "-3"},
                         {"key": "inconnu/lot9", "month": "04/2026", "hours_direct_hire": "3"}])
    fourth = ws.followup.import_statements(facilitator, bad, "erreurs.csv", today=today)
    assert fourth.added == 0 and [p.row for p in fourth.problems] == [2, 3, 4]
    assert all(p.message_fr for p in fourth.problems)
    with pytest.raises(ProcureError):  # a file that is no statement at all: nothing written
        ws.followup.import_statements(facilitator, b"nom;prenom\nDupont;Jean\n", "personnes.csv", today=today)
    assert len(ws.followup.statements(users["buyer_a"], view.id)) == 6


def test_every_statement_and_correction_is_in_the_audit_trail(world):
    ws, users, view = _setup(world)
    facilitator, today = users["facilitator_m"], date(2026, 3, 20)
    ws.followup.import_statements(facilitator, statement_csv(
        [{"key": view.commitment.key, "month": "01/2026", "hours_direct_hire": "120"}]), "janvier.csv", today=today)
    ws.followup.enter_statement(facilitator, view.id, date(2026, 1, 1), hours={"direct_hire": 0, "training": 8},
                                today=today)  # a correction to zero is typed in the app
    version = ws.followup.commitment(users["buyer_a"], view.id).version
    ws.followup.edit_commitment(users["buyer_a"], view.id, version, renewals_months=[12], holder_name="Bâtir et Fils")
    events = ws.followup.history(users["buyer_a"], view.id)
    assert [e["action"] for e in events] == ["commitment_created", "statement_added", "statement_corrected",
                                             "commitment_changed"]
    added, corrected, changed = events[1:]
    assert added["who"] == "facilitator m" and added["source"] == "janvier.csv"
    assert corrected["details"]["avant"]["heures"] == {"direct_hire": 120.0}
    assert corrected["details"]["après"]["heures"] == {"direct_hire": 0.0, "training": 8.0}
    assert changed["details"]["avant"]["holder_name"] == "Bâtir SA"
    assert changed["details"]["après"]["renewals_json"] == "[12]"
    (statement,) = ws.followup.statements(users["buyer_a"], view.id)
    assert statement.hours_done == 8
    from procure.service.followup import CommitmentConflict

    with pytest.raises(CommitmentConflict):  # a second editor on the version already replaced
        ws.followup.edit_commitment(users["admin"], view.id, version, holder_name="Autre")


def test_alerts_and_yearly_consolidation(world):
    ws, users, view = _setup(world)
    done = {m: 100.0 for m in months(2026, 1, 6)}  # 600 h of the 1 500 h due after six months
    ws.followup.import_statements(users["facilitator_m"], statement_csv(
        [{"key": view.commitment.key, "month": f"{m:%m/%Y}", "hours_temporary_work_etti": str(h),
          "participants_long_term_jobseekers": "1", "contracts_temporary": "1"} for m, h in done.items()]),
        "releve.csv", today=date(2026, 7, 15))
    alerts = ws.followup.alerts(users["buyer_a"], today=date(2026, 7, 15))
    (found,) = alerts["buyer"].values()
    kinds = {a.kind for a in found}
    assert AlertKind.BEHIND in kinds and AlertKind.PENALTY_EXPOSURE in kinds
    penalty = next(a for a in found if a.kind is AlertKind.PENALTY_EXPOSURE)
    due = 3000 / 12 * 6
    assert penalty.exposure_eur == Decimal(str(due - sum(done.values()))) * 100
    assert "100 € par heure" in penalty.evidence
    assert ws.followup.alerts(users["buyer_b"], today=date(2026, 7, 15)) == {"holder": {}, "buyer": {}}
    whole, *by_buyer = ws.followup.consolidation(users["reviewer_g"], 2026, territory="94")
    assert whole.hours_done == sum(done.values()) and whole.contracts == 1
    assert whole.participants_total == 6 and whole.work_contracts_total == 6
    assert whole.fte == pytest.approx(sum(done.values()) / whole.fte_hours)
    assert [row.group for row in by_buyer] == ["Ville A"]
    assert ws.followup.consolidation(users["reviewer_g"], 2026, territory="13") == []  # another department
