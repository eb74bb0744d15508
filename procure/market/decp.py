"""Real awarded public contracts (DECP): the flattened 2019 format and the 2024 JSON format, cleaned alike."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from procure.reference.cpv import normalize_cpv
from procure.text.normalize import fold

COLUMNS = ["id", "objet", "cpv", "division", "group", "procedure", "montant", "duree_mois", "date", "year", "acheteur_id",
           "acheteur_nom", "lieu_code", "lieu_type", "titulaires", "social", "source_format"]
# Values of considerationsSociales in the 2024 schema, mapped to procure's provision families.
SOCIAL_2024 = {"Clause sociale": "clause", "Critère social": "criterion", "Marché réservé": "reserved"}
SOCIAL_IN_TEXT = [
    ("reserved", re.compile(r"\breserve|\besat\b|entreprises? adaptees?|travailleurs handicapes|\bsiae\b")),
    ("clause", re.compile(r"clauses? (?:sociales?|d'insertion)|insertion professionnelle|heures d'insertion|marche d'insertion|"
                          r"insertion par l'activite economique|action d'insertion|qualification professionnelle")),
    ("criterion", re.compile(r"critere social")),
]
REPLACEMENT_CHAR = "\ufffd"


def repair_text(text: str) -> str:
    """One DECP source lost its accents to U+FFFD; 'é' is by far the likeliest letter behind it in French."""
    text = str(text or "").replace(REPLACEMENT_CHAR, "é")
    return " ".join(text.split())


def social_from_text(objet: str) -> list[str]:
    folded = fold(objet)
    return [kind for kind, pattern in SOCIAL_IN_TEXT if pattern.search(folded)]


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    codes = frame["cpv_raw"].map(normalize_cpv)
    frame["cpv"] = codes.map(lambda c: c.code if c is not None and c.status != "unknown" else None)
    frame["division"] = frame["cpv"].str[:2]
    frame["group"] = frame["cpv"].str[:3]
    frame["objet"] = frame["objet"].map(repair_text)
    frame["acheteur_nom"] = frame["acheteur_nom"].map(repair_text)
    frame["montant"] = pd.to_numeric(frame["montant"], errors="coerce")
    frame["duree_mois"] = pd.to_numeric(frame["duree_mois"], errors="coerce")
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    frame["year"] = frame["date"].dt.year
    frame = frame[frame["objet"].str.len() > 3]
    # The same contract is often published by several sources: keep one row per (id, object, amount).
    frame = frame.drop_duplicates(subset=["id", "objet", "montant"]).reset_index(drop=True)
    return frame[COLUMNS]


def read_flat_csv(path: Path) -> pd.DataFrame:
    """The flattened 2019-format export (columns objet, codeCPV, montant, acheteur_nom…)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({
        "id": raw["id"], "objet": raw["objet"], "cpv_raw": raw["codeCPV"], "procedure": raw["procedure"],
        "montant": raw["montant"], "duree_mois": raw["dureeMois"], "date": raw["dateNotification"],
        "acheteur_id": raw["acheteur_id"], "acheteur_nom": raw["acheteur_nom"], "lieu_code": raw["lieu_code"],
        "lieu_type": raw["lieu_typeCode"], "titulaires": raw["titulaires_siret"],
    })
    frame["social"] = frame["objet"].map(lambda o: ",".join(social_from_text(repair_text(o))))
    frame["source_format"] = "decp-2019"
    return _finish(frame)


def read_2024_json(path: Path) -> pd.DataFrame:
    """The 2024 format (schema_decp_v2.0.2.json): {"marches": {"marche": [...]}} with considerationsSociales."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    marches = data.get("marches", [])
    if isinstance(marches, dict):
        marches = marches.get("marche", [])
    rows = []
    for marche in marches:
        considerations = (marche.get("considerationsSociales") or {}).get("considerationSociale") or []
        social = [SOCIAL_2024[c] for c in considerations if c in SOCIAL_2024]
        holders = [t.get("titulaire", {}).get("id", "") for t in marche.get("titulaires", [])]
        place = marche.get("lieuExecution") or {}
        acheteur = marche.get("acheteur") or {}
        rows.append({
            "id": marche.get("id", ""), "objet": marche.get("objet", ""), "cpv_raw": marche.get("codeCPV", ""),
            "procedure": marche.get("procedure", ""), "montant": marche.get("montant"), "duree_mois": marche.get("dureeMois"),
            "date": marche.get("dateNotification"), "acheteur_id": acheteur.get("id", ""),
            "acheteur_nom": acheteur.get("nom", "") or acheteur.get("id", ""), "lieu_code": place.get("code", ""),
            "lieu_type": place.get("typeCode", ""), "titulaires": "|".join(holders),
            "social": ",".join(sorted(set(social) | set(social_from_text(repair_text(marche.get("objet", "")))))),
            "source_format": "decp-2024",
        })
    return _finish(pd.DataFrame(rows, columns=["id", "objet", "cpv_raw", "procedure", "montant", "duree_mois", "date",
                                               "acheteur_id", "acheteur_nom", "lieu_code", "lieu_type", "titulaires",
                                               "social", "source_format"]))


def read_any(path: Path) -> pd.DataFrame:
    path = Path(path)
    if path.suffix == ".json":
        return read_2024_json(path)
    return read_flat_csv(path)


def social_share_by_division(frame: pd.DataFrame) -> pd.DataFrame:
    """Per CPV division: contracts, and share showing a social provision (in their object or 2024 field)."""
    known = frame.dropna(subset=["division"])
    grouped = known.groupby("division").agg(contracts=("id", "size"), social=("social", lambda s: (s != "").sum()))
    grouped["share"] = grouped["social"] / grouped["contracts"]
    return grouped.sort_values("contracts", ascending=False)
