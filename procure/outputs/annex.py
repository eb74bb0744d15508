"""Word annex of suggested clauses, rendered with docxtpl from procure/outputs/templates/annexe_clauses.docx."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from procure import law
from procure.model import format_euros
from procure.outputs.report import describe_place
from procure.advice.suggest import DATE_SOURCES_FR, Advice, LotAdvice, Suggestion

TEMPLATE = Path(__file__).parent / "templates" / "annexe_clauses.docx"
DISCLAIMER = (
    "Proposition d'aide à la rédaction : les clauses sont à adapter au besoin et validées par le service juridique. "
    "Les mentions « à vérifier » signalent des points non confirmés dans les sources."
)


def typo_fr(text: str) -> str:
    """French typography: no-break spaces before high punctuation, guillemets with inner spaces."""
    text = re.sub(r"\s+([:;!?»])", "\u00a0\\1", text)
    text = re.sub(r"«\s*", "«\u00a0", text)
    text = re.sub(r"(\d)\s+%", "\\1\u202f%", text)
    return text.replace("'", "’")


def _suggestion_context(suggestion: Suggestion) -> dict:
    existing = suggestion.existing
    return {
        "title": typo_fr(suggestion.title),
        "status": suggestion.status,
        "legal": ", ".join(suggestion.legal_basis),
        "old": ", ".join(suggestion.old_articles) or "aucun équivalent",
        "target": suggestion.target_document,
        "reasons": [typo_fr(r) for r in suggestion.reasons],
        "existing": typo_fr(existing.evidence.passage) if existing else "",
        "existing_where": existing.evidence.where() if existing else "",
        "clause": [typo_fr(p) for p in suggestion.clause_paragraphs],
        "hours": suggestion.hours.steps if suggestion.hours else [],
        "checks": [typo_fr(c) for c in suggestion.points_to_check],
    }


def _lot_context(advice: LotAdvice, suppliers: list[str]) -> dict:
    lot = advice.lot
    facts = [f"CPV : {', '.join(c.full for c in lot.cpv_codes) or 'non renseigné'}"]
    facts.append(f"montant estimé : {format_euros(advice.amount_ht) + ' HT' if advice.amount_ht is not None else 'non renseigné'}")
    if lot.place:
        facts.append(f"lieu d'exécution : {describe_place(lot.place.value)}")
    return {
        "number": lot.number,
        "title": typo_fr(lot.title.value if lot.title else f"Lot {lot.number}"),
        "facts": typo_fr(" ; ".join(facts) + "."),
        "suggestions": [_suggestion_context(s) for s in advice.suggestions],
        "suppliers": [typo_fr(name) for name in suppliers],
    }


def annex_context(advice: Advice, generated: date | None = None, suppliers: dict[int, list[str]] | None = None) -> dict:
    tender = advice.tender
    lots = [_lot_context(lot, (suppliers or {}).get(lot.lot.number, [])) for lot in advice.lots]
    summary = [
        {"number": lot.lot.number, "title": ctx["title"],
         "amount": format_euros(lot.amount_ht) + " HT" if lot.amount_ht is not None else "—",
         "levers": typo_fr("; ".join(f"{s.title} ({s.status})" for s in lot.suggestions) or "aucun")}
        for lot, ctx in zip(advice.lots, lots)
    ]
    alerts = [typo_fr(a.message) for a in advice.alerts]
    alerts += [typo_fr(f"Lot {a.lot} : {a.message}") for lot in advice.lots for a in lot.alerts]
    checks = sorted({c for lot in lots for s in lot["suggestions"] for c in s["checks"]})
    return {
        "tender_object": typo_fr(tender.object.value if tender.object else "Consultation"),
        "buyer": typo_fr(tender.buyer.value if tender.buyer else "non renseigné"),
        "reference": tender.reference.value if tender.reference else "non renseignée",
        "reference_date": advice.reference_date.strftime("%d/%m/%Y"),
        "date_source": DATE_SOURCES_FR[advice.date_source],
        "generated": (generated or date.today()).strftime("%d/%m/%Y"),
        "disclaimer": typo_fr(DISCLAIMER),
        "summary": summary,
        "alerts": alerts,
        "lots": lots,
        "old_to_new": [{"old": o, "subject": typo_fr(s), "new": n} for o, s, n in law.OLD_TO_NEW],
        "checks": checks or ["Aucun point signalé."],
    }


def write_annex(advice: Advice, out: str | Path, generated: date | None = None,
                suppliers: dict[int, list[str]] | None = None) -> Path:
    """`suppliers`: per lot number, the inclusive structures the working group retained."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(str(TEMPLATE))
    template.render(annex_context(advice, generated, suppliers), autoescape=True)
    _restart_numbered_lists(template.docx)
    out = Path(out)
    template.save(str(out))
    return out


def _restart_numbered_lists(document) -> None:
    """Each run of 'List Number' paragraphs starts again at 1, instead of continuing the previous list."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    numbering = document.part.numbering_part.element
    style = document.styles["List Number"]
    style_num = style.element.pPr.numPr.numId.val
    abstract = next(n for n in numbering.findall(qn("w:num")) if n.numId == style_num).abstractNumId.val
    previous_was_list = False
    num_id = None
    for paragraph in document.paragraphs:
        is_list = paragraph.style is not None and paragraph.style.name == "List Number"
        if is_list and not previous_was_list:
            num = numbering.add_num(abstract)
            override = OxmlElement("w:lvlOverride")
            override.set(qn("w:ilvl"), "0")
            start = OxmlElement("w:startOverride")
            start.set(qn("w:val"), "1")
            override.append(start)
            num.append(override)
            num_id = num.numId
        if is_list:
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = 0
            num_pr.get_or_add_numId().val = num_id
        previous_was_list = is_list
