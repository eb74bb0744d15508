"""A BOAMP open-data export of many records, built from the real records' structure (issue 24's tests and bench).

The three real records of ../shared/data/eforms/boamp_api_json_fr (an initial notice of Soisy-sous-Montmorency,
its cancellation, a notice of Puteaux) are copied with fresh identifiers, dates moved to after the entry into
force of L2112-2-1 and amounts above the EU threshold: what a territory's export looks like in 2026.
"""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

REAL_EXPORT = Path("eforms", "boamp_api_json_fr", "boamp_records_2025-11_eforms.json")
SOISY_ID = "c1051b02-779e-49ad-82e9-e7ddc91ebd00"
CANCEL_ID = "5d368d92-412d-4dc2-9a82-de3e4bb0dbd4"
PUTEAUX_ID = "1618bc50-7fe6-4592-b32a-9712f790bd3e"
INSERTION_SENTENCE = ("L'exécution du marché comporte une clause obligatoire d'insertion par l'activité économique "
                      "au bénéfice de personnes éloignées de l'emploi.")


def real_records(shared_data: Path) -> dict[str, dict]:
    records = json.loads((shared_data / REAL_EXPORT).read_text(encoding="utf-8"))
    by_id = {}
    for record in records:
        donnees = record["donnees"]
        record = dict(record, donnees=json.loads(donnees) if isinstance(donnees, str) else donnees)
        by_id[_notice_id(record)] = record
    return by_id


def _notice_id(record: dict) -> str:
    root = next(iter(record["donnees"]["EFORMS"].values()))
    return root["cbc:ID"]["#text"]


def _replace(value, mapping: dict[str, str]):
    """Every string of the tree with the mapping's substrings replaced (identifiers, dates, amounts)."""
    if isinstance(value, dict):
        return {key: _replace(item, mapping) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, mapping) for item in value]
    if isinstance(value, str):
        for old, new in mapping.items():
            value = value.replace(old, new)
    return value


def _lot_description(record: dict, sentence: str) -> None:
    root = next(iter(record["donnees"]["EFORMS"].values()))
    lot = root["cac:ProcurementProjectLot"]
    lot = lot if isinstance(lot, dict) else lot[0]
    description = lot["cac:ProcurementProject"]["cbc:Description"]
    description["#text"] = f"{description['#text']} {sentence}"


def make_record(real: dict, number: int, issue_date: str = "2026-10-05", amount: str = "450000",
                social: bool = False, mapping: dict | None = None) -> tuple[dict, str]:
    """A copy of a real record as a new notice; returns it with its new notice identifier."""
    new_id = str(uuid.UUID(int=number + 1))
    old_id = _notice_id(real)
    replaced = {old_id: new_id, "2025-11-06": issue_date, "2025-11-05": issue_date, "2025-11-18": issue_date,
                "92 000": f"{int(amount):,}".replace(",", " "), "92000": amount, "200000": amount, **(mapping or {})}
    record = _replace(copy.deepcopy(real), replaced)
    record["idweb"] = record["id"] = f"26-{100000 + number}"
    if social:
        _lot_description(record, INSERTION_SENTENCE)
    return record, new_id


def cancellation_of(real_cancel: dict, number: int, target_id: str, reason: str = "cancel") -> tuple[dict, str]:
    """The real cancellation record, pointing at `target_id`; `reason` "cor-buy" makes it a correction."""
    mapping = {SOISY_ID: target_id} | ({"cancel": reason} if reason != "cancel" else {})
    return make_record(real_cancel, number, mapping=mapping)


def write_export(path: Path, records: list[dict]) -> Path:
    """As the BOAMP API returns them: `donnees` as a JSON string inside each record."""
    rows = [dict(record, donnees=json.dumps(record["donnees"], ensure_ascii=False)) for record in records]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path
