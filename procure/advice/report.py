"""Readable French text of the suggestions, for the terminal."""
from __future__ import annotations

from procure.model import format_euros
from procure.advice.suggest import DATE_SOURCES_FR, Advice


def advice_fr(advice: Advice) -> str:
    lines = [f"Date de référence : {advice.reference_date:%d/%m/%Y} ({DATE_SOURCES_FR[advice.date_source]})"]
    if advice.contract_value_ht is not None:
        lines.append(f"Montant estimé du marché : {format_euros(advice.contract_value_ht)} HT "
                     f"(seuil européen : {format_euros(advice.eu_threshold.value)} HT)")
    if advice.mandatory_social_condition:
        lines.append("Condition d'exécution sociale OBLIGATOIRE (L2112-2-1).")
    lines.extend(f"! {alert.message}" for alert in advice.alerts)
    for lot in advice.lots:
        title = lot.lot.title.value if lot.lot.title else ""
        lines.append("")
        lines.append(f"Lot {lot.lot.number} : {title}")
        lines.extend(f"  ! {alert.message}" for alert in lot.alerts)
        if not lot.suggestions:
            lines.append("  (aucun dispositif social pertinent identifié pour ce lot)")
        for s in lot.suggestions:
            lines.append(f"  - {s.title} [{s.status}, score {s.score:.2f}] — {', '.join(s.legal_basis)}")
            lines.extend(f"      · {reason}" for reason in s.reasons)
            if s.hours:
                lines.extend(f"      {n}. {step}" for n, step in enumerate(s.hours.steps, 1))
            lines.extend(f"      à vérifier : {check}" for check in s.points_to_check)
    return "\n".join(lines)
