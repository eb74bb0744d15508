"""Readable French summary of an analysed tender, for the terminal."""
from __future__ import annotations

from procure.model import Commune, Fact, Lot, Place, PlaceScope, SocialProvision, Tender
from procure.outputs.format_fr import format_date, format_hours, format_months, format_number, format_percent, where_fr
from procure.reference.cpv import CPV_STATUS_FR

# CPV statuses worth a word on the code's line; a check digit procure added is said once under the lots.
CPV_STATUS_SHOWN = {"repaired", "unverified", "unknown", "wrong_check_digit"}
QUOTE_LENGTH = 240


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


def hour_fr(time: str | None) -> str:
    """"14:00" → "14h00", as the documents print it; "" without an hour."""
    if not time or ":" not in str(time):
        return ""
    hours, _, minutes = str(time).partition(":")
    return f"{int(hours)}h{minutes[:2]}"


def date_hour_fr(value, time: str | None = None, long: bool = False) -> str:
    """« 02/09/2024 à 14h00 » (« 2 septembre 2024 à 14h00 » with long=True): a date with the hour the documents
    print beside it; a date alone (no hour printed, or an analysis stored before hours were read) stays a date."""
    day = format_date(value, long=long)
    hour = hour_fr(time)
    return f"{day} à {hour}" if hour else day


def _amount_text(amount) -> str:
    computation = getattr(amount, "computation", None)
    return f"{amount} ({computation})" if computation else str(amount)


def _fact_line(label: str, fact: Fact | None, render=str) -> str:
    if fact is None:
        return f"{label} : non trouvé"
    where = f"  [{where_fr(fact.evidence)}]" if fact.evidence else ""
    inherited = " (repris de la consultation)" if fact.inherited else ""
    return f"{label} : {render(fact.value)}{inherited}{where}"


def _duration_line(fact: Fact | None) -> str:
    """« Durée : 48 mois », « Durée : 100 jours (3,3 mois) » when the tender gave days."""
    passage = fact.evidence.passage if fact is not None and fact.evidence else None
    return _fact_line("Durée", fact, lambda months: format_months(months, passage))


def quote_fr(passage: str, length: int = QUOTE_LENGTH) -> str:
    """A passage between French quotes, cut at a word with « … » when it is long."""
    text = " ".join(passage.split())
    if len(text) > length:
        cut = text.rfind(" ", 0, length)
        text = text[: cut if cut > length // 2 else length].rstrip(" ,;:") + " …"
    return f"« {text} »"


def _provision_line(provision: SocialProvision) -> str:
    details = []
    if provision.articles:
        details.append(", ".join(provision.articles))
    if provision.hours:
        details.append(format_hours(provision.hours) + (" par année d'exécution" if provision.hours_per == "year" else ""))
    if provision.weight_percent is not None:
        details.append(f"pondération {format_percent(provision.weight_percent / 100)}")
    extra = f" ({' ; '.join(details)})" if details else ""
    return f"    - {provision.label_fr}{extra}  [{where_fr(provision.evidence, quote=False)}] {quote_fr(provision.evidence.passage)}"


def _lot_lines(lot: Lot) -> list[str]:
    title = lot.title.value if lot.title else "sans intitulé"
    lines = [f"  Lot {lot.number} : {title}"]
    if lot.cpv:
        for code, evidence in lot.cpv:
            label = f" {code.label}" if code.label else ""
            status = f" ({CPV_STATUS_FR[code.status]})" if code.status in CPV_STATUS_SHOWN else ""
            lines.append(f"    CPV {code.full}{label}{status}  [{where_fr(evidence)}]")
    elif lot.predicted_cpv:
        p = lot.predicted_cpv.value
        lines.append(f"    CPV : non trouvé dans le dossier ; prédit par le modèle : division {p['division']} "
                     f"(probabilité {format_percent(p['division_probability'])}), groupe {p['group']} "
                     f"(probabilité {format_percent(p['group_probability'])}), à confirmer")
    else:
        lines.append("    CPV : non trouvé")
    if lot.cpv_doubt:
        lines.append(f"    Attention : {lot.cpv_doubt}")
    lines.append("    " + _fact_line(_amount_label(lot.estimated_amount), lot.estimated_amount, _amount_text))
    lines.append("    " + _duration_line(lot.duration_months))
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
            time = tender.times.get(key)
            lines.append(_fact_line(label, tender.dates[key], lambda d, time=time: date_hour_fr(d, time)))
    lines.append("")
    lines.append(f"Lots ({len(tender.lots)}) :")
    for lot in tender.lots:
        lines.extend(_lot_lines(lot))
    completed = sum(code.status == "completed" for lot in tender.lots for code in lot.cpv_codes)
    if completed:
        lines.append(f"  Codes CPV : chiffre de contrôle absent du dossier, ajouté par procure "
                     f"({format_number(completed)} code{'s' if completed > 1 else ''}).")
    lines.append("")
    if tender.provisions:
        lines.append("Dispositions sociales communes à tout le marché :")
        lines.extend(_provision_line(p) for p in tender.provisions)
    elif not any(lot.provisions for lot in tender.lots):
        lines.append("Aucune disposition sociale trouvée dans les documents.")
    return "\n".join(lines)
