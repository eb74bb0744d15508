"""Readable French text of the suggestions, for the terminal."""
from __future__ import annotations

from procure import law
from procure.advice.suggest import DATE_SOURCES_FR, Advice, Suggestion
from procure.text.format_fr import format_euros, format_percent

UNVERIFIED_MARK = f" ({law.UNVERIFIED_FR})"

MANDATORY_FR = {True: "Condition d'exécution sociale obligatoire (L2112-2-1), sauf exception justifiée et consignée.",
                None: "Condition d'exécution sociale obligatoire selon la catégorie d'acheteur (L2112-2-1) : à préciser.",
                False: None}


def advice_fr(advice: Advice) -> str:
    lines = [f"Date de référence : {advice.reference_date:%d/%m/%Y}, {DATE_SOURCES_FR[advice.date_source]}"]
    if advice.obligation:
        lines.append(advice.obligation.explanation)
    if advice.obligation and advice.obligation.undetermined_fr and advice.obligation.in_force:
        lines.append(f"Condition d'exécution sociale (L2112-2-1) : obligation {advice.obligation.undetermined_fr}.")
    elif mandatory := MANDATORY_FR[advice.mandatory_social_condition]:
        lines.append(mandatory)
    lines.extend(f"! {alert.message}" for alert in advice.alerts)
    for lot in advice.lots:
        title = lot.lot.title.value if lot.lot.title else ""
        lines.append("")
        lines.append(f"Lot {lot.lot.number} : {title}")
        lines.append(f"  Lieu d'exécution : {_place_fr(lot.lot)}")  # reservations and structures depend on it
        lines.append(f"  Montant : {_amount_fr(lot.lot)}")  # the hours and the thresholds are computed from it
        lines.extend(f"  ! {alert.message}" for alert in lot.alerts)
        if lot.ways_to_comply:
            lines.append("  Manières de satisfaire L2112-2-1 :")
            lines.extend(f"    {n}. {way}" for n, way in enumerate(lot.ways_to_comply, 1))
        if not lot.suggestions:
            lines.append("  (aucun dispositif social pertinent identifié pour ce lot)")
        for s in lot.suggestions:
            lines.append(f"  - {s.title} [{_tags(s)}] — {', '.join(s.legal_basis)}")
            if s.obligation:
                lines.append(f"      → {s.obligation[0].upper()}{s.obligation[1:]}.")
            lines.extend(f"      · {reason}" for reason in s.reasons)
            if s.hours:
                lines.extend(f"      {n}. {step}" for n, step in enumerate(s.hours.steps, 1))
            lines.extend(f"      à vérifier : {check_fr(check)}" for check in s.points_to_check)
    return "\n".join(lines)


AMOUNT_KINDS_FR = {"maximum": "maximum", "minimum": "minimum", "total": "total", "estimate": "estimé"}


def _amount_fr(lot) -> str:
    """« 6 000 000,00 € HT (maximum ; montant estimé : 1 712 500 €) »: the figure, what it is, and the estimate that
    the hours use when a framework prints one beside its maximum."""
    if lot.estimated_amount is None:
        return "non indiqué dans les pièces lues"
    amount = lot.estimated_amount.value
    kind = AMOUNT_KINDS_FR.get(getattr(amount.kind, "value", amount.kind) or "estimate", "estimé")
    notes = [kind] + [part for part in (amount.computation or "").split(" ; ") if part and part != kind]
    if amount.estimate is not None and not any("estimé" in note for note in notes):
        notes.append(f"montant estimé : {format_euros(amount.estimate, cents=False)}")
    inherited = ", celui de la consultation" if lot.estimated_amount.inherited else ""
    return f"{amount} ({' ; '.join(notes)}{inherited})"


def _place_fr(lot) -> str:
    place = lot.place.value if lot.place else None
    if place is None:
        return "non indiqué dans les pièces lues"
    where = (", ".join(c.name for c in place.communes[:3])
             or ", ".join(f"département {code}" for code in place.departments[:5]))
    inherited = " (celui de la consultation)" if lot.place.inherited else ""
    return f"{place.label}{f' → {where}' if where and where not in place.label else ''}{inherited}"


def _tags(s: Suggestion) -> str:
    """« recommandée, pertinence 83 % »; a clause already in the tender has no relevance to show."""
    tags = [s.status.label]
    if s.existing is None:
        tags.append(f"pertinence {format_percent(s.score)}")
    if not s.ready_to_sign:
        tags.append("texte à vérifier avant signature")
    return ", ".join(tags)


def check_fr(point: str) -> str:
    """A point to check, under « à vérifier : »: the « (à vérifier) » the point carries for other outputs is not
    said a second time."""
    return point.replace(UNVERIFIED_MARK, "").strip()
