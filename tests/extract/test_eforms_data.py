"""eForms notices read as data: every real eForms file of ../shared/data (TED XML, BOAMP JSON records), the
business terms that carry social provisions, and the files that look like notices but are not."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from lxml import etree

from procure.extract import analyze, analyze_notices
from procure.ingest import IngestError, read_document, read_notices
from procure.model import AmountKind, BuyerCategory, PlaceScope, ProvisionKind

DATA_PATH = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
DATA = DATA_PATH if DATA_PATH.is_dir() else None
pytestmark = pytest.mark.skipif(DATA is None, reason="données partagées absentes (PROCURE_SHARED_DATA)")
NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
      "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1"}


def _eforms_files() -> list[Path]:
    if DATA is None:
        return []
    return sorted(DATA.glob("dce-real/ted_*/*.xml")) + sorted(DATA.glob("eforms/**/*.xml")) + sorted(DATA.glob("eforms/**/*.json"))


def _notice(name: str) -> Path:
    return next(DATA.glob(f"dce-real/{name}/*.xml"))


@pytest.mark.parametrize("path", _eforms_files(), ids=lambda p: p.name)
def test_every_real_eforms_file_is_read(path):
    tenders = analyze_notices(path)
    assert tenders, path
    for tender in tenders:
        assert not [p for p in tender.problems if p.fatal], tender.problems
        assert tender.buyer and tender.buyer.value.strip()
        assert tender.object and tender.object.value.strip()
        assert tender.lots and all(lot.title for lot in tender.lots)
        assert all(lot.cpv for lot in tender.lots)
        # every fact points to the block that shows it, with the business term named
        assert "(BT-" in tender.lots[0].cpv[0][1].passage


def test_a_group_of_lots_is_not_a_lot_and_renewals_written_in_words_count():
    tender = analyze([_notice("ted_131011-2024")])
    assert [lot.number for lot in tender.lots] == [1, 2]  # GLO-0001 (LotsGroup) stands first in the file
    assert [lot.duration_months.value for lot in tender.lots] == [48, 48]  # "1 an reconductible 3 fois soit 4 ans"
    assert tender.buyer_category.value == BuyerCategory.LOCAL
    assert tender.procedure.value["code"] == "AOO"


def test_lots_take_the_buyers_numbers_and_an_employment_objective_is_an_insertion_clause():
    tender = analyze([_notice("ted_438171-2024")])
    assert len(tender.lots) == 20
    lot4 = tender.lot(4)  # technical id LOT-0005: the buyer's "…_LOT4"
    assert "chateaudun" in lot4.title.value.lower().replace("â", "a")
    assert lot4.estimated_amount.value.value == 180000 and lot4.estimated_amount.value.kind == AmountKind.ESTIMATE
    assert tender.place.value.scope == PlaceScope.REGION  # the lots cover every department of Centre-Val de Loire
    kinds = {(p.kind, p.lot) for p in tender.provisions}
    assert (ProvisionKind.INSERTION_CLAUSE, None) in kinds
    assert "BT-775" in tender.provisions[0].evidence.passage


def test_reserved_execution_is_a_reservation_for_protected_work():
    tender = analyze([_notice("ted_453076-2024")])
    reserved = [p for p in tender.provisions if p.kind == ProvisionKind.RESERVED_DISABILITY]
    assert reserved and "BT-736" in reserved[0].evidence.passage
    assert not [p for p in tender.provisions if p.kind == ProvisionKind.RESERVED_SIAE]


def test_a_lot_note_gives_the_insertion_clause_with_its_hours():
    tender = analyze([_notice("ted_529570-2024")])
    clauses = [p for p in tender.provisions_for(1) if p.kind == ProvisionKind.INSERTION_CLAUSE]
    assert clauses and clauses[0].hours == 1800
    block = read_document(_notice("ted_529570-2024")).blocks[clauses[0].evidence.block]
    assert block.text.startswith("Informations complémentaires du lot (BT-300)")
    assert tender.lots[0].estimated_amount.value.value == 6000000  # the framework maximum (BT-271)


def test_a_norwegian_reserved_notice_is_read_by_its_codes():
    path = next(DATA.glob("eforms/ted_xml_other/*.xml"))
    tender = analyze([path])
    assert ProvisionKind.RESERVED_DISABILITY in {p.kind for p in tender.provisions}


def test_boamp_export_gives_one_tender_per_record_and_says_a_cancellation():
    path = next(DATA.glob("eforms/boamp_api_json_fr/*.json"))
    tenders = analyze_notices(path)
    assert len(tenders) == 3
    assert {t.buyer.value for t in tenders} == {"COMMUNE DE SOISY-SOUS-MONTMORENCY", "Ville de Puteaux"}
    cancelled = [p.message for p in tenders[0].problems if "annulation" in p.message.lower()]
    assert cancelled and "sans suite" in cancelled[0]
    assert "25-127510" in tenders[0].documents[0].file
    # uploaded as one piece of a consultation, the first notice is read and the others are announced
    document = read_document(path)
    assert any("3 avis" in w.message for w in document.warnings)


def _as_boamp_json(element) -> dict:
    """The BOAMP open-data shape of an eForms tree: prefixed keys, "@attr" and "#text", lists for repeats."""
    prefixes = {uri: prefix for prefix, uri in {**NS, "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
                                                 "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1"}.items()}

    def key(node) -> str:
        uri, _, local = node.tag[1:].partition("}")
        return f"{prefixes[uri]}:{local}" if uri in prefixes else local

    def value(node):
        children = [c for c in node if isinstance(c.tag, str)]
        if not children and not node.attrib:
            return node.text or ""
        out = {f"@{k}": v for k, v in node.attrib.items()}
        if node.text and node.text.strip() and not children:
            out["#text"] = node.text
        for child in children:
            out.setdefault(key(child), []).append(value(child))
        return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in out.items()}

    return {"EFORMS": {key(element): value(element)}}


def test_a_boamp_record_reads_like_the_same_notice_in_xml(tmp_path):
    source = _notice("ted_438171-2024")
    root = etree.parse(str(source)).getroot()
    record = {"idweb": "24-000001", "donnees": json.dumps(_as_boamp_json(root), ensure_ascii=False)}
    path = tmp_path / "boamp.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    from_json, from_xml = analyze_notices(path)[0], analyze([source])
    assert from_json.buyer.value == from_xml.buyer.value
    assert [(lot.number, lot.title.value, [c.code for c in lot.cpv_codes], lot.duration_months.value)
            for lot in from_json.lots] == [(lot.number, lot.title.value, [c.code for c in lot.cpv_codes],
                                            lot.duration_months.value) for lot in from_xml.lots]
    assert {(p.kind, p.lot) for p in from_json.provisions} == {(p.kind, p.lot) for p in from_xml.provisions}


def _criterion_notice(tmp_path, lot_index: int, description: str, weight: str) -> Path:
    """A real notice whose award criterion of one lot is rewritten (the rest as published)."""
    tree = etree.parse(str(_notice("ted_131011-2024")))
    lots = [lot for lot in tree.getroot().findall("cac:ProcurementProjectLot", NS)
            if lot.find("cbc:ID", NS).get("schemeName") == "Lot"]
    criterion = lots[lot_index].find(".//cac:SubordinateAwardingCriterion", NS)
    for element in criterion.findall("cbc:Description", NS) + criterion.findall("cbc:Name", NS):
        element.text = description
    numeric = criterion.find(".//efbc:ParameterNumeric", NS)
    if numeric is not None:
        numeric.text = weight
    path = tmp_path / "criterion.xml"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


def test_a_social_award_criterion_of_one_lot_keeps_its_lot_and_weight(tmp_path):
    path = _criterion_notice(tmp_path, 1, "Performances en matière d'insertion professionnelle des publics en difficulté", "10")
    tender = analyze([path])
    criteria = [(p.lot, p.weight_percent) for lot in tender.lots for p in lot.provisions
                if p.kind == ProvisionKind.SOCIAL_CRITERION]
    criteria += [(None, p.weight_percent) for p in tender.provisions if p.kind == ProvisionKind.SOCIAL_CRITERION]
    assert criteria == [(2, 10.0)]


def test_a_landscape_insertion_criterion_is_not_social(tmp_path):
    path = _criterion_notice(tmp_path, 0, "Insertion paysagère et architecturale du projet", "20")
    tender = analyze([path])
    assert not [p for lot in tender.lots for p in lot.provisions if p.kind == ProvisionKind.SOCIAL_CRITERION]


def test_files_that_are_not_eforms_notices_get_a_french_reason(tmp_path):
    broken = tmp_path / "avis.xml"
    broken.write_bytes(_notice("ted_453076-2024").read_bytes()[:3000])
    with pytest.raises(IngestError, match="mal formé"):
        read_document(broken)
    other = tmp_path / "autre.xml"
    other.write_text('<?xml version="1.0"?><catalogue><livre>x</livre></catalogue>', encoding="utf-8")
    with pytest.raises(IngestError, match="pas un avis eForms"):
        read_document(other)
    record = tmp_path / "boamp.json"
    record.write_text(json.dumps([{"idweb": "20-1", "donnees": json.dumps({"FNSimple": {"x": 1}})}]), encoding="utf-8")
    with pytest.raises(IngestError, match="pas au format eForms"):
        read_notices(record, record.name)
    empty = tmp_path / "vide.json"
    empty.write_text("[]", encoding="utf-8")
    with pytest.raises(IngestError, match="aucun avis"):
        read_document(empty)


def test_entities_of_a_notice_are_never_expanded(tmp_path):
    text = _notice("ted_453076-2024").read_text(encoding="utf-8")
    bomb = ('<?xml version="1.0"?><!DOCTYPE ContractNotice [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>' + text.split("?>", 1)[1].replace("Biscuits", "&c;", 1))
    path = tmp_path / "bomb.xml"
    path.write_text(bomb, encoding="utf-8")
    tender = analyze([path])
    titles = " ".join(lot.title.value for lot in tender.lots)
    assert "AAAAAAAAAA" not in titles


def test_a_deeply_nested_record_is_refused_in_french(tmp_path):
    deep: dict = {"cbc:Note": "x"}
    for _ in range(80):
        deep = {"cac:ProcurementProject": copy.deepcopy(deep)}
    record = {"idweb": "1", "donnees": json.dumps({"EFORMS": {"ContractNotice": deep}})}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(IngestError, match="imbriqué"):
        read_document(path)


def test_an_eforms_notice_uploaded_to_a_consultation_is_analysed_and_stored(sessions):
    from procure.service.workspace import SYSTEM, Workspace

    ws = Workspace(sessions)
    town = ws.create_organisation("Préfecture de région Centre-Val de Loire", actor=SYSTEM)
    ws.create_user("acheteur@example.fr", "motdepasse-solide", "acheteur", "buyer", town, actor=SYSTEM)
    buyer = ws.authenticate("acheteur@example.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Maintenance CVC", False)
    path = _notice("ted_438171-2024")
    ws.add_documents(buyer, tender_id, [(path.name, path.read_bytes())])
    ws.analyse(buyer, tender_id)
    items = ws.review_items(buyer, tender_id)
    assert [lot["number"] for lot in items["lots"]] == list(range(1, 21))
    assert items["tender"]["reference"] == "2024CVDLCVC4"
    assert [d["doc_type"] for d in ws.documents(buyer, tender_id)] == ["AVIS"]
    statuses = {s["lever_id"]: s for s in items["lots"][0]["suggestions"]}
    assert "insertion_clause" in statuses


def test_a_state_service_coded_as_a_regional_authority_is_a_central_authority():
    tender = analyze([_notice("ted_438171-2024")])  # "Préfecture de région …", BT-11 "ra"
    assert tender.buyer_category.value == BuyerCategory.CENTRAL


def test_the_deadline_keeps_its_hour_from_the_notice():
    """BT-131 is a date and a time: « 09/04/2024 à 12:00 », the hour as the buyer printed it (EndTime)."""
    import re

    path = _notice("ted_131011-2024")
    end_time = re.search(r"<cbc:EndTime>(\d\d:\d\d)", path.read_text(encoding="utf-8")).group(1)
    tender = analyze([path])
    assert tender.times["offers_deadline"] == end_time
    assert tender.dates["offers_deadline"].value.isoformat() in path.read_text(encoding="utf-8")
