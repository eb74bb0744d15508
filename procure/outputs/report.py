"""Readable French summary of an analysed tender, for the terminal."""
from __future__ import annotations

from procure.model import Commune, Fact, Lot, Place, PlaceScope, SocialProvision, Tender
from procure.reference.cpv import CPV_STATUS_FR


def describe_place(value) -> str:
    if isinstance(value, Commune):
        return f"{value.name} ({value.department}, INSEE {value.insee})"
    if isinstance(value, Place):
        return describe_territory(value)
    return f"{value} (lieu non reconnu)"


def describe_territory(place: Place) -> str:
    """'Paris (75) → Paris, INSEE 75056'; 'Code NUTS FRK24 → département 38'; 'France métropolitaine → national'."""
    if place.scope == PlaceScope.NATIONAL:
        resolved = "territoire national"
    elif place.communes:
        resolved = ", ".join(f"{c.name} (INSEE {c.insee})" for c in place.communes[:5])
    elif place.departments:
        resolved = ("département " if len(place.departments) == 1 else "départements ") + ", ".join(place.departments)
    else:
        return f"{place.label} (lieu non reconnu)"
    return f"{place.label} → {resolved}" if place.label else resolved


def _amount_label(fact: Fact | None) -> str:
    """'Montant maximum', 'Montant estimé'…: what the figure is, as the tender says it."""
    kind = getattr(fact.value, "kind", None) if fact else None
    return {"maximum": "Montant maximum", "minimum": "Montant minimum", "total": "Montant total"}.get(
        getattr(kind, "value", kind), "Montant estimé")


def _amount_text(amount) -> str:
    computation = getattr(amount, "computation", None)
    return f"{amount} ({computation})" if computation else str(amount)


def _fact_line(label: str, fact: Fact | None, render=str) -> str:
    if fact is None:
        return f"{label} : non trouvé"
    where = f"  [{fact.evidence.where()}]" if fact.evidence else ""
    inherited = " (repris du marché)" if fact.inherited else ""
    return f"{label} : {render(fact.value)}{inherited}{where}"


def _provision_line(provision: SocialProvision) -> str:
    details = []
    if provision.articles:
        details.append(", ".join(provision.articles))
    if provision.hours:
        details.append(f"{provision.hours} heures")
    if provision.weight_percent is not None:
        details.append(f"pondération {provision.weight_percent:g} %")
    extra = f" ({'; '.join(details)})" if details else ""
    return f"    - {provision.label_fr}{extra}  [{provision.evidence.where()}] « {provision.evidence.passage[:160]} »"


def _lot_lines(lot: Lot) -> list[str]:
    title = lot.title.value if lot.title else "sans intitulé"
    lines = [f"  Lot {lot.number} : {title}"]
    if lot.cpv:
        for code, evidence in lot.cpv:
            label = f" {code.label}" if code.label else ""
            lines.append(f"    CPV {code.full}{label} ({CPV_STATUS_FR[code.status]})  [{evidence.where()}]")
    elif lot.predicted_cpv:
        p = lot.predicted_cpv.value
        lines.append(f"    CPV : non trouvé ; PRÉDIT division {p['division']} ({p['division_probability']:.0%}), "
                     f"groupe {p['group']} ({p['group_probability']:.0%})")
    else:
        lines.append("    CPV : non trouvé")
    if lot.cpv_doubt:
        lines.append(f"    Attention : {lot.cpv_doubt}")
    lines.append("    " + _fact_line(_amount_label(lot.estimated_amount), lot.estimated_amount, _amount_text))
    lines.append("    " + _fact_line("Durée", lot.duration_months, lambda m: f"{m} mois"))
    lines.append("    " + _fact_line("Lieu d'exécution", lot.place, describe_place))
    if lot.provisions:
        lines.append("    Dispositions sociales du lot :")
        lines.extend(_provision_line(p) for p in lot.provisions)
    return lines


def summary_fr(tender: Tender) -> str:
    lines = ["Analyse du dossier de consultation", ""]
    lines.append("Documents lus :")
    for doc in tender.documents:
        pages = f", {doc.pages} page{'s' if doc.pages > 1 else ''}" if doc.pages else ""
        ocr = f", OCR pages {', '.join(map(str, doc.ocr_pages))}" if doc.ocr_pages else ""
        lines.append(f"  - {doc.file} ({doc.doc_type}{pages}{ocr})")
    for problem in tender.problems:
        prefix = "ERREUR" if problem.fatal else "Attention"
        lines.append(f"  {prefix} — {problem.file} : {problem.message}")
    lines.append("")
    lines.append(_fact_line("Acheteur", tender.buyer))
    lines.append(_fact_line("Objet", tender.object))
    lines.append(_fact_line("Référence", tender.reference))
    lines.append(_fact_line("Procédure", tender.procedure, lambda v: v["label"]))
    lines.append(_fact_line("Lieu d'exécution", tender.place, describe_place))
    labels = {"launch": "Lancement", "publication": "Envoi de l'avis", "offers_deadline": "Date limite des offres"}
    for key, label in labels.items():
        if key in tender.dates:
            lines.append(_fact_line(label, tender.dates[key], lambda d: d.strftime("%d/%m/%Y")))
    lines.append("")
    lines.append(f"Lots ({len(tender.lots)}) :")
    for lot in tender.lots:
        lines.extend(_lot_lines(lot))
    lines.append("")
    if tender.provisions:
        lines.append("Dispositions sociales communes à tout le marché :")
        lines.extend(_provision_line(p) for p in tender.provisions)
    elif not any(lot.provisions for lot in tender.lots):
        lines.append("Aucune disposition sociale trouvée dans les documents.")
    return "\n".join(lines)
