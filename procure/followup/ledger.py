"""Progress of a commitment on a date: hours due (pro rata), done, gap, projections and alerts.

Rules (what a clause facilitator reporting to several buyers expects):
- a contract year runs from the start date, twelve months at a time; the last one may be shorter; the renewals
  decided extend the contract (`Commitment.total_months`);
- hours due to date are the pro rata of the commitment over the **complete months elapsed** (statements are
  monthly, a month is due once it is over): `hours_per_year / 12` a month for a per-year commitment (each
  renewal adds its years), `hours_total / total_months` a month for a total commitment (a renewal spreads the
  same total over a longer contract);
- hours done are those of the statements of the contract's months up to today's month; a statement for a month
  before the start or after the end is left out of the sums and reported (`AlertKind.BEYOND_END`);
- projections go on at the pace so far (hours done ÷ months elapsed);
- the penalty is assessed per contract year for a per-year commitment, on the whole contract for a total one:
  a closed period with hours missing is a penalty due; the current period's missing hours are an exposure
  when the holder is behind or the period ends within `warn_days`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from procure.followup.model import (
    Alert,
    AlertKind,
    Commitment,
    Progress,
    Statement,
    YearProgress,
    add_months,
    first_of_month,
)
from procure.text.format_fr import format_date, format_euros, format_int, format_percent

__all__ = ["progress", "alerts_for", "BEHIND_SHARE", "WARN_DAYS", "complete_months", "month_index"]

BEHIND_SHARE = 0.2
WARN_DAYS = 60
_CENT = Decimal("0.01")


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def complete_months(start: date, today: date) -> int:
    """Months of the contract fully over on `today` (a contract starting on the 15th: its month ends on the 14th)."""
    months = (today.year - start.year) * 12 + today.month - start.month
    if today.day < start.day:
        months -= 1
    return max(0, months)


def _hours(value: float) -> str:
    return f"{format_int(value)} h"


def _periods(commitment: Commitment) -> list[tuple[int, date, date, int, int]]:
    """Contract years: (index, start, end exclusive, offset of its first month, number of months)."""
    total = commitment.total_months
    years = []
    offset, index = 0, 1
    while offset < total:
        months = min(12, total - offset)
        years.append((index, add_months(commitment.start, offset), add_months(commitment.start, offset + months),
                      offset, months))
        offset += months
        index += 1
    return years


def _monthly_due(commitment: Commitment) -> float:
    if commitment.hours_per_year is not None:
        return commitment.hours_per_year / 12
    if commitment.hours_total is not None and commitment.total_months > 0:
        return commitment.hours_total / commitment.total_months
    return 0.0


def _label(commitment: Commitment) -> str:
    holder = commitment.holder_name or "titulaire non renseigné"
    return f"{commitment.lot_title or commitment.key} ({holder})"


def _exposure(hours_missing: float, penalty: Decimal | None) -> Decimal | None:
    if penalty is None:
        return None
    return (Decimal(str(round(hours_missing, 2))) * penalty).quantize(_CENT, rounding=ROUND_HALF_UP)


def progress(commitment: Commitment, statements: Iterable[Statement], today: date,
             behind_share: float = BEHIND_SHARE, warn_days: int = WARN_DAYS) -> Progress:
    """Where `commitment` stands on `today` given its statements (other lots' statements are ignored)."""
    start_index = month_index(commitment.start)
    total_months = commitment.total_months
    end = commitment.end
    monthly = _monthly_due(commitment)
    elapsed = min(complete_months(commitment.start, today), total_months)
    today_index = month_index(today)
    alerts: list[Alert] = []
    common = {"commitment_key": commitment.key, "holder": commitment.holder_name, "buyer": commitment.buyer,
              "evidence": commitment.evidence}

    by_offset: dict[int, float] = defaultdict(float)
    outside: list[date] = []
    for statement in statements:
        if statement.commitment_key != commitment.key:
            continue
        offset = month_index(statement.month) - start_index
        if offset < 0 or offset >= total_months:
            outside.append(statement.month)
            continue
        if month_index(statement.month) > today_index:
            continue  # a month still to come: the import refuses it, the ledger does not count it
        by_offset[offset] += statement.hours_done
    for month in sorted(outside):
        where = "avant le début" if month < first_of_month(commitment.start) else "après la fin"
        alerts.append(Alert(kind=AlertKind.BEYOND_END, message=(
            f"{_label(commitment)} : relevé de {month:%m/%Y} {where} du marché (du {format_date(commitment.start)} "
            f"au {format_date(end - timedelta(days=1))}) : non compté, à vérifier avec le facilitateur."), **common))

    done = sum(by_offset.values())
    due_to_date = monthly * elapsed
    covered = max([elapsed] + [offset + 1 for offset, hours in by_offset.items() if hours])
    pace = done / covered if covered else None
    total_due = monthly * total_months if monthly else None
    if commitment.hours_per_year is None and commitment.hours_total is not None:
        total_due = commitment.hours_total

    years: list[YearProgress] = []
    current: YearProgress | None = None
    for index, year_start, year_end, offset, months in _periods(commitment):
        year_done = sum(hours for month, hours in by_offset.items() if offset <= month < offset + months)
        year_elapsed = min(max(elapsed - offset, 0), months)
        if pace is None:
            projection = None
        elif year_elapsed >= months:
            projection = year_done
        else:
            counted = max(year_elapsed, min(max(covered - offset, 0), months))
            projection = year_done + pace * (months - counted)
        year = YearProgress(index=index, start=year_start, end=year_end, due=monthly * months,
                            due_to_date=monthly * year_elapsed, done=year_done, projection=projection)
        years.append(year)
        if year_start <= today < year_end:
            current = year
    if current is None and years and today >= end:
        current = years[-1]
    projection_contract_end = None if pace is None else done + pace * max(total_months - covered, 0)

    gap = due_to_date - done
    share_done = done / due_to_date if due_to_date > 0 else None
    behind = due_to_date > 0 and gap > behind_share * due_to_date
    if behind:
        alerts.append(Alert(kind=AlertKind.BEHIND, hours_missing=gap, message=(
            f"{_label(commitment)} : {_hours(done)} réalisées sur {_hours(due_to_date)} dues au "
            f"{format_date(today)} ({format_percent(share_done or 0)}), soit {_hours(gap)} de retard ; au rythme "
            f"actuel, {_hours(projection_contract_end or 0)} à la fin du marché sur {_hours(total_due or 0)}."),
            **common))

    # the current contract year's end is near with hours missing
    days_left = (current.end - timedelta(days=1) - today).days if current is not None else -1
    if current is not None and 0 <= days_left <= warn_days:
        missing = current.due - current.done
        if missing > 0.5:
            alerts.append(Alert(kind=AlertKind.YEAR_END_MISSING, hours_missing=missing, due=current.end, message=(
                f"{_label(commitment)} : l'année {current.index} du marché se termine le "
                f"{format_date(current.end - timedelta(days=1))} ({days_left} jour{'s' if days_left >= 2 else ''}) ; "
                f"{_hours(current.done)} réalisées sur {_hours(current.due)} dues, il manque {_hours(missing)}."),
                exposure_eur=_exposure(missing, commitment.penalty_per_hour), **common))

    # penalty: per contract year for a per-year commitment, on the whole contract for a total one
    if commitment.penalty_per_hour is not None and monthly:
        if commitment.hours_per_year is not None:
            periods = [(f"l'année {y.index} du marché", y.start, y.end, y.due, y.due_to_date, y.done) for y in years]
        else:
            periods = [("le marché", commitment.start, end, total_due or 0.0, due_to_date, done)]
        for name, p_start, p_end, p_due, p_due_to_date, p_done in periods:
            if p_start > today:
                continue
            closed = today >= p_end
            near = (p_end - timedelta(days=1) - today).days <= warn_days
            # near or past its end, the whole period is due; before, what is due to date
            missing = (p_due if closed or near else p_due_to_date) - p_done
            if missing <= 0.5:
                continue
            if not (closed or behind or near):
                continue
            exposure = _exposure(missing, commitment.penalty_per_hour)
            last_day = format_date(p_end - timedelta(days=1))
            if closed:
                text = (f"{name} s'est terminée le {last_day} avec {_hours(missing)} non réalisées sur "
                        f"{_hours(p_due)} : pénalité due {_hours(missing)} × "
                        f"{format_euros(commitment.penalty_per_hour)} = {format_euros(exposure)}.")
            else:
                when = "d'ici là" if near else "à ce jour"
                text = (f"{_hours(missing)} manquent {when} pour {name} (fin le {last_day}) : pénalité encourue "
                        f"si elles ne sont pas rattrapées, {_hours(missing)} × "
                        f"{format_euros(commitment.penalty_per_hour)} = {format_euros(exposure)}.")
            source = f" Source : {commitment.evidence}" if commitment.evidence else ""
            alerts.append(Alert(kind=AlertKind.PENALTY_EXPOSURE, hours_missing=missing, exposure_eur=exposure,
                                due=p_end, message=f"{_label(commitment)} : {text}{source}", **common))

    return Progress(
        commitment_key=commitment.key, today=today, due_to_date=due_to_date, done=done, gap=gap,
        share_done=share_done, projection_year_end=current.projection if current else None,
        projection_contract_end=projection_contract_end, year_due=current.due if current else None,
        total_due=total_due, years=years, alerts=alerts)


def alerts_for(commitments: Iterable[Commitment], statements: Iterable[Statement], today: date,
               behind_share: float = BEHIND_SHARE, warn_days: int = WARN_DAYS) -> dict[str, dict[str, list[Alert]]]:
    """Alerts of every commitment, grouped {"holder": {holder: [...]}, "buyer": {buyer: [...]}}.

    A holder is named by its name (and SIRET when known); groups and alerts keep the commitments' order."""
    by_key: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        by_key[statement.commitment_key].append(statement)
    grouped: dict[str, dict[str, list[Alert]]] = {"holder": {}, "buyer": {}}
    for commitment in commitments:
        found = progress(commitment, by_key.get(commitment.key, ()), today, behind_share, warn_days).alerts
        if not found:
            continue
        holder = commitment.holder_name or "titulaire non renseigné"
        if commitment.holder_siret:
            holder = f"{holder} ({commitment.holder_siret})"
        grouped["holder"].setdefault(holder, []).extend(found)
        grouped["buyer"].setdefault(commitment.buyer or "acheteur non renseigné", []).extend(found)
    return grouped
