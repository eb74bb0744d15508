"""The stored analysis (service.schema.StoredAnalysis): one typed, versioned schema from the reading to the outputs.

Every real development tender is analysed and advised, written as the pipeline writes it and read back: the Tender
and the advice come back equal, field by field. The analysis the unversioned code stored (version 0, a fixture
written by that code: tests/support/build_stored_analysis_v0.py) still reads, and gives the same tender as today's.
"""
from __future__ import annotations

import dataclasses
import json
import re

import benches
import pytest
import stored_world

from procure.service.schema import ANALYSIS_SCHEMA_VERSION, StoredAnalysis, read_analysis

evaluation = benches.load("eval_real_tenders")


def _differences(a, b, path="") -> list[str]:
    """Where two values differ, walking dataclasses and lists (a failing round trip names its field)."""
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return [d for f in dataclasses.fields(a) for d in _differences(getattr(a, f.name), getattr(b, f.name),
                                                                        f"{path}.{f.name}")]
    if isinstance(a, (list, tuple)) and type(a) is type(b) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return [d for key in a for d in _differences(a[key], b[key], f"{path}[{key!r}]")]
    # A str enum member equals its code (procure.model annotates the field with the enum when the value is one,
    # and the reader then gives the member back); int and float are the same JSON number.
    same_kind = type(a) is type(b) or isinstance(a, str) and isinstance(b, str) or {type(a), type(b)} <= {int, float}
    return [] if a == b and same_kind else [f"{path}: {a!r:.120} != {b!r:.120}"]


def test_every_real_development_tender_round_trips(shared_data, with_cpv):
    from procure.advice.advise import TenderAnswers, advise

    folders = evaluation.tender_folders(shared_data / "dce-real")
    assert len(folders) >= 40
    checked = 0
    for folder in folders:
        tender, error = evaluation.analyze_folder(folder, evaluation.load_expected(folder))
        assert error is None, (folder.name, error)
        advice = advise(tender, TenderAnswers())
        stored = StoredAnalysis.of(tender, advice, ["Marchés comparables (DECP) non ajoutés"])
        text = stored.to_json()
        assert json.loads(text)["schema"] == ANALYSIS_SCHEMA_VERSION
        back = StoredAnalysis.from_json(text)
        assert _differences(stored.tender, back.tender, folder.name) == []
        assert back == stored, folder.name
        assert back.to_json() == text  # writing what was read gives the same text
        again = back.advice_for()  # the advice the outputs print, rebuilt over the read tender
        assert (again.reference_date, again.date_source, [a.message for a in again.alerts]) == \
            (advice.reference_date, advice.date_source, [a.message for a in advice.alerts])
        assert [(lot.lot.number, lot.cpv, lot.amount_ht, [a.message for a in lot.alerts]) for lot in again.lots] == \
            [(lot.lot.number, lot.cpv, lot.amount_ht, [a.message for a in lot.alerts]) for lot in advice.lots]
        checked += bool(tender.lots)
    assert checked >= 40


def test_an_analysis_stored_by_the_unversioned_code_still_reads(shared_data, with_cpv, tmp_path):
    """The fixture is what the code before the schema stored for the vsgp DCE; today's reading of the same pieces
    gives the same tender (the v0 JSON carries no advice: the outputs advise the stored tender again)."""
    from procure.extract import analyze

    v0 = stored_world.FIXTURE_V0.read_text(encoding="utf-8")
    assert "schema" not in json.loads(v0)
    old = read_analysis(v0)
    assert old.schema == ANALYSIS_SCHEMA_VERSION and old.advice is None and old.step_problems == []
    paths = []
    for index, (name, content) in enumerate(stored_world.pieces(shared_data)):
        path = tmp_path / f"piece-{index}"
        path.write_bytes(content)
        paths.append((path, name))
    today = analyze(paths)
    # Fields added since version 0 read as None from it: today's reading may state them.
    added = re.compile(r"^vsgp\.(?:declared_nature|estimated_amount|lots\[\d+\]\.declared_nature)\b")
    assert [d for d in _differences(today, old.tender, "vsgp") if not added.match(d)] == []
    assert old.tender.declared_nature is None and old.tender.estimated_amount is None
    assert old.tender.lots[0].estimated_amount.value.kind == "maximum"
    assert old.advice_for().lots[0].lot.number == 1


def test_unknown_fields_and_newer_schemas_are_refused_in_french(shared_data):
    v0 = json.loads(stored_world.FIXTURE_V0.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="champs inconnus"):
        StoredAnalysis.from_json(json.dumps({**v0, "buyer_name": "renamed field"}))
    with pytest.raises(ValueError, match="version plus récente de procure"):
        StoredAnalysis.from_json(json.dumps({**v0, "schema": ANALYSIS_SCHEMA_VERSION + 1}))
    assert read_analysis(None) is None


def test_the_declared_nature_and_the_whole_tenders_amount_round_trip_and_old_analyses_read_without_them(shared_data):
    """Tender.declared_nature and Lot.declared_nature come back as ContractNature members, Tender.estimated_amount
    as an Amount; an analysis written before these fields existed reads with None."""
    from procure.extract import analyze
    from procure.model import Amount, AmountKind, ContractNature

    tender = analyze([next(shared_data.glob("dce-real/ted_438171-2024/*.xml"))])
    back = StoredAnalysis.from_json(StoredAnalysis.of(tender).to_json()).tender
    assert back.declared_nature.value is ContractNature.SERVICES and back.declared_nature.evidence is not None
    assert {lot.declared_nature.value for lot in back.lots} == {ContractNature.SERVICES}
    assert isinstance(back.estimated_amount.value, Amount) and back.estimated_amount.value.kind == AmountKind.MAXIMUM
    assert _differences(tender, back, "ted_438171") == []
    older = json.loads(StoredAnalysis.of(tender).to_json())
    del older["declared_nature"], older["estimated_amount"]
    for lot in older["lots"]:
        del lot["declared_nature"]
    read = StoredAnalysis.from_json(json.dumps(older)).tender
    assert read.declared_nature is None and read.estimated_amount is None
    assert all(lot.declared_nature is None for lot in read.lots)


def test_the_pipeline_stores_the_schema_and_review_items_read_it_typed(sessions, shared_data, with_cpv):
    from procure.db.models import TenderRow

    ws, buyer, _, tender_id = stored_world.analysed_world(sessions, shared_data)
    with sessions() as session:
        text = session.get(TenderRow, tender_id).analysis_json
    assert json.loads(text)["schema"] == ANALYSIS_SCHEMA_VERSION and json.loads(text)["advice"]["lots"]
    items = ws.review_items(buyer, tender_id)
    analysis = items.tender.analysis
    assert isinstance(analysis, StoredAnalysis) and analysis == StoredAnalysis.from_json(text)
    assert analysis.tender.buyer.value and [lot.number for lot in items.lots] == [1]
    assert analysis.advice.lots[0].amount_ht == analysis.tender.lots[0].estimated_amount.value.value
    suggestion = items.lots[0].suggestions[0]
    assert suggestion.payload.title == suggestion["title"] and suggestion.status in ("mandatory", "recommended",
                                                                                      "possible", "present")
