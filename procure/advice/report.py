"""Readable French text of the suggestions, for the terminal."""
from __future__ import annotations

from procure.advice.suggest import DATE_SOURCES_FR, Advice

MANDATORY_FR = {True: "Condition d'exécution sociale obligatoire (L2112-2-1).",
                None: "Condition d'exécution sociale obligatoire selon la catégorie d'acheteur (L2112-2-1) : à préciser.",
                False: None}


def advice_fr(advice: Advice) -> str:
    lines = [f"Date de référence : {advice.reference_date:%d/%m/%Y} ({DATE_SOURCES_FR[advice.date_source]})"]
    if advice.obligation:
        lines.append(advice.obligation.explanation)
    if MANDATORY_FR[advice.mandatory_social_condition]:
        lines.append(MANDATORY_FR[advice.mandatory_social_condition])
    lines.extend(f"! {alert.message}" for alert in advice.alerts)
    for lot in advice.lots:
        title = lot.lot.title.value if lot.lot.title else ""
        lines.append("")
        lines.append(f"Lot {lot.lot.number} : {title}")
        lines.extend(f"  ! {alert.message}" for alert in lot.alerts)
        if lot.ways_to_comply:
            lines.append("  Manières de satisfaire L2112-2-1 :")
            lines.extend(f"    {n}. {way}" for n, way in enumerate(lot.ways_to_comply, 1))
        if not lot.suggestions:
            lines.append("  (aucun dispositif social pertinent identifié pour ce lot)")
        for s in lot.suggestions:
            draft = "" if s.ready_to_sign else ", texte à vérifier avant signature"
            lines.append(f"  - {s.title} [{s.status}, score {s.score:.2f}{draft}] — {', '.join(s.legal_basis)}")
            if s.obligation:
                lines.append(f"      → {s.obligation[0].upper()}{s.obligation[1:]}.")
            lines.extend(f"      · {reason}" for reason in s.reasons)
            if s.hours:
                lines.extend(f"      {n}. {step}" for n, step in enumerate(s.hours.steps, 1))
            lines.extend(f"      à vérifier : {check}" for check in s.points_to_check)
    return "\n".join(lines)
