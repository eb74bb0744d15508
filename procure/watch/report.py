"""The watch as tables: one row per notice (French columns, for CSV and XLSX), the share of notices with a social
consideration per buyer and per month against the national target and the measured national share."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import pandas as pd

from procure import law
from procure.watch.assess import KIND_FR, OBLIGATION_FR, WatchedNotice

NOTICE_COLUMNS = ["Avis", "Nature de l'avis", "Publication", "Acheteur", "Département", "Commune", "Objet",
                  "Montant HT", "Seuil HT", "Obligation L2112-2-1", "Motif", "Dispositions sociales",
                  "Lots sans disposition", "Leviers possibles", "Structures locales crédibles", "À signaler"]


def notice_table(notices: list[WatchedNotice]) -> pd.DataFrame:
    return pd.DataFrame([notice_row(n) for n in notices], columns=NOTICE_COLUMNS)


def notice_row(notice: WatchedNotice) -> dict:
    without = [lot for lot in notice.lots if not lot.provisions]
    levers = sorted({lever for lot in without for lever in lot.levers[:2]})
    structures = [lot.structures for lot in without if lot.structures is not None]
    names = list(dict.fromkeys(name for lot in without for name in lot.strongest))
    return {
        "Avis": notice.record or notice.name,
        "Nature de l'avis": KIND_FR[notice.kind],
        "Publication": notice.published.strftime("%d/%m/%Y") if notice.published else "",
        "Acheteur": notice.buyer or "",
        "Département": ", ".join(notice.departments),
        "Commune": notice.commune or "",
        "Objet": notice.object or "",
        "Montant HT": notice.value_ht,
        "Seuil HT": notice.threshold_ht,
        "Obligation L2112-2-1": OBLIGATION_FR[notice.obligation],
        "Motif": notice.obligation_fr,
        "Dispositions sociales": " ; ".join(dict.fromkeys(p["label"] for p in notice.provisions)) or "aucune",
        "Lots sans disposition": ", ".join(str(lot.number) for lot in without),
        "Leviers possibles": " ; ".join(levers),
        "Structures locales crédibles": (f"{max(structures)}" + (f" ({', '.join(names[:3])})" if names else ""))
                                        if structures else "",
        "À signaler": "oui" if notice.flagged else "",
    }


def social_shares(notices: list[WatchedNotice], by: str) -> pd.DataFrame:
    """Share of notices with a social consideration per buyer (`by="buyer"`) or per month (`by="month"`),
    cancellations left out, with the national target and the measured national share beside it."""
    rows = [{"buyer": n.buyer or "acheteur non lu", "month": n.published.strftime("%Y-%m") if n.published else "",
             "social": n.social, "flagged": n.flagged} for n in notices if n.kind != "cancel"]
    frame = pd.DataFrame(rows, columns=["buyer", "month", "social", "flagged"])
    label = {"buyer": "Acheteur", "month": "Mois"}[by]
    grouped = frame.groupby(by).agg(avis=("social", "size"), sociaux=("social", "sum"), a_signaler=("flagged", "sum"))
    grouped["part"] = grouped["sociaux"] / grouped["avis"]
    grouped = grouped.reset_index().rename(columns={by: label, "avis": "Avis", "sociaux": "Avec une considération sociale",
                                                    "a_signaler": "À signaler", "part": "Part sociale"})
    return grouped.sort_values(label if by == "month" else "Avis", ascending=by == "month")


def benchmarks(on: date | None = None) -> dict[str, law.ParameterValue]:
    """The national target (PNAD) and the measured national share (OECP) the shares are read against."""
    on = on or date.today()
    return {"target": law.parameter_or_earliest("national_social_target", on),
            "measured": law.parameter_or_earliest("observed_social_share", on)}


@dataclass(frozen=True)
class CommuneWatch:
    """The notices of one commune of a territory (the buyer's or the place's), for the territorial guide."""

    commune: str  # its name, or « commune non précisée (département 94) » for notices giving a department only
    insee: str | None
    notices: int
    social: int
    flagged: int

    @property
    def share(self) -> float:
        return self.social / self.notices if self.notices else 0.0


def commune_table(notices: list[WatchedNotice], communes: Collection[str]) -> list[CommuneWatch]:
    """Notices of the territory per commune, most notices first, cancellations left out; a notice that names only
    a department of the territory is counted on a line of its own instead of being given a commune."""
    departments = {_department_of(code) for code in communes}
    groups: dict[tuple[str, str | None], list[WatchedNotice]] = {}
    for notice in notices:
        if notice.kind == "cancel":
            continue
        if notice.commune_insee in communes:
            key = (notice.commune or notice.commune_insee, notice.commune_insee)
        elif notice.commune_insee is None and notice.department in departments:
            key = (f"commune non précisée (département {notice.department})", None)
        else:
            continue
        groups.setdefault(key, []).append(notice)
    rows = [CommuneWatch(name, insee, len(group), sum(n.social for n in group), sum(n.flagged for n in group))
            for (name, insee), group in groups.items()]
    return sorted(rows, key=lambda row: (row.insee is None, -row.notices, row.commune))


def _department_of(insee: str) -> str:
    return insee[:3] if insee.startswith("97") else insee[:2]
