"""Word annex of suggested clauses, rendered with docxtpl from procure/outputs/templates/annexe_clauses.docx.

Two sources feed the same template: a fresh analysis (command line), or the stored, reviewed suggestions of the
analysis version the working group decided on (application), with who decided what and the suppliers retained.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from procure import law
from procure.advice.suggest import DATE_SOURCES_FR, Advice
from procure.model import Commune, Place, to_jsonable
from procure.outputs.format_fr import format_date, format_euros, format_hours, format_siret, where_fr
from procure.vocabulary import SuggestionStatus

TEMPLATE = Path(__file__).parent / "templates" / "annexe_clauses.docx"
DISCLAIMER = (
    "Proposition d'aide à la rédaction : les clauses sont à adapter au besoin et validées par le service juridique. "
    "Les mentions « à vérifier » signalent des points non confirmés dans les sources."
)
# Placeholders of the clause library, as a buyer reads them (accents, full words).
PLACEHOLDER_LABELS_FR = {
    "penalite": "pénalité", "numero critere": "numéro du critère", "facilitateur": "facilitateur",
    "article": "numéro de l'article", "produits": "produits concernés", "heures": "nombre d'heures", "volume heures": "nombre d'heures",
    "lot numero": "numéro du lot", "lot intitule": "intitulé du lot", "ponderation": "pondération",
    "part minimale": "part minimale", "volume phrase": "volume d'heures d'insertion",
    "duree conservation": "durée de conservation", "plafond penalites": "plafond des pénalités",
    "penalite compte rendu": "pénalité pour compte rendu manquant", "cpv": "code CPV",
}
PLACEHOLDER_RE = re.compile(r"\[à compléter\s*:\s*([^\]]+)\]")
DECIDER_LABELS_FR = {"buyer": "l'acheteur", "reviewer": "le groupe de travail", "admin": "l'administrateur"}
KIND_LABELS_SHORT_FR = {"EI": "entreprise d'insertion", "ACI": "atelier et chantier d'insertion",
                        "AI": "association intermédiaire", "ETTI": "entreprise de travail temporaire d'insertion",
                        "EITI": "entreprise d'insertion par le travail indépendant", "GEIQ": "GEIQ",
                        "EA": "entreprise adaptée", "ESAT": "ESAT", "REGIE": "régie de quartier"}
PER_FR = {"year": "par an", "total": "au total"}
DECISION_WORDS_FR = {"accepted": "retenue", "rejected": "écartée", "pending": "en attente (commentée)"}


def typo_fr(text: str) -> str:
    """French typography: no-break spaces before high punctuation, guillemets with inner spaces, no nested brackets."""
    text = unnest_parentheses(text)
    text = re.sub(r"\s+([:;!?»])", "\u00a0\\1", text)
    text = re.sub(r"«\s*", "«\u00a0", text)
    text = re.sub(r"(\d)\s+%", "\\1\u202f%", text)
    return text.replace("'", "’")


def unnest_parentheses(text: str) -> str:
    """« a (b (c) d) » → « a (b, c, d) »: a bracket inside a bracket reads badly in a legal document."""
    out, depth = [], 0
    for char in text:
        if char == "(":
            if depth:
                while out and out[-1] == " ":
                    out.pop()
                out.append(", ")
            else:
                out.append(char)
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if not depth:
                out.append(char)
        else:
            out.append(char)
    return re.sub(r",\s*,", ",", "".join(out)).replace(", )", ")")


def accent_placeholders(text: str) -> str:
    """« [à compléter : penalite] » → « [à compléter : pénalité] »."""
    return PLACEHOLDER_RE.sub(lambda m: f"[à compléter : {PLACEHOLDER_LABELS_FR.get(m.group(1).strip(), m.group(1).strip())}]",
                              text)


@dataclass
class Decision:
    """A working-group decision on a suggestion or a supplier: what, by whom (name and role), when."""

    decision: str  # accepted, rejected, pending
    by: str | None = None
    role: str | None = None
    at: datetime | None = None
    # The working group's comments on the item, oldest first: {"who", "when", "action", "comment"} (review_items)
    comments: list[dict] = field(default_factory=list)

    def comments_fr(self) -> list[str]:
        """« Commentaire de Camille Martin, le 02/12/2026 à 09:27 : « trop coûteux pour ce lot » »."""
        return [f"Commentaire de {c.get('who') or 'inconnu'}, le {_local_datetime(c.get('when'))} : « {c['comment']} »"
                for c in self.comments if c.get("comment")]

    def label_fr(self) -> str:
        if self.decision == "pending":
            return "en attente de décision"
        verb = "retenue" if self.decision == "accepted" else "écartée"
        who = DECIDER_LABELS_FR.get(self.role or "", "le groupe de travail")
        details = ", ".join(x for x in (self.by, format_date(self.at, missing="")) if x)
        return f"{verb} par {who}" + (f" ({details})" if details else "")


@dataclass
class ReviewedLot:
    """What the working group decided for one lot of the stored analysis."""

    number: int
    suggestions: list[dict]  # stored payloads (to_jsonable(Suggestion)), each with a "decision": Decision
    suppliers: list[dict] = field(default_factory=list)  # accepted suppliers: siret, name, kinds, commune, demo
    supplier_decisions: list[tuple[dict, Decision]] = field(default_factory=list)  # retained or set aside, by whom
    matching: dict | None = None  # the stored matching outcome (procure.service.lot_matching.outcome_view)


def _local_datetime(value) -> str:
    """A stored instant (UTC; SQLite returns it naive) as the buyer reads it: Paris time, « 02/12/2026 à 09:27 »."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from procure.outputs.format_fr import format_datetime

    if not isinstance(value, datetime):
        return format_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(ZoneInfo("Europe/Paris")))


def reviewed_lots(items, roles: dict[int, str]) -> list[ReviewedLot]:
    """From Workspace.review_items (procure.service.review.ReviewItems: stored payloads and decisions) and the role
    of each suggestion's decider."""
    lots = []
    for lot in items.lots:
        suggestions = []
        for item in lot.suggestions:
            payload = item.as_dict()
            payload["status"] = item.status_label or item.status
            payload.setdefault("existing", _stored_existing(payload))
            payload["decision"] = Decision(item.decision, item.decided_by, roles.get(item.id), item.decided_at,
                                           list(item.comments))
            suggestions.append(payload)
        suppliers = [m.supplier for m in lot.matches if m.decision == "accepted"]
        supplier_decisions = [(m.supplier, Decision(m.decision, m.decided_by, roles.get(("match", m.id)),
                                                    m.decided_at, list(m.comments)))
                              for m in lot.matches if m.decision != "pending" or m.comments]
        lots.append(ReviewedLot(lot.number, suggestions, suppliers, supplier_decisions, lot.matching))
    return lots


def status_label(status: str) -> str:
    """« recommandée »: the French label of a status code (stored analyses and procure.advice give the code)."""
    try:
        return SuggestionStatus.parse(status).label
    except ValueError:
        return status


def _stored_existing(item: dict) -> dict | None:
    """The provision already in the dossier: its passage is the last evidence the suggestion stored."""
    if item.get("status") not in (SuggestionStatus.PRESENT, SuggestionStatus.PRESENT.label) or not item.get("evidence"):
        return None
    return {"evidence": item["evidence"][-1], "hours": item.get("existing_hours"),
            "hours_per": item.get("existing_hours_per")}


def _where(evidence: dict | None) -> str:
    return where_fr(evidence) if evidence else ""


def _existing_hours_text(existing: dict | None, stored_hours: int | None) -> str:
    hours = (existing or {}).get("hours") or stored_hours
    if not hours:
        return ""
    per = PER_FR.get((existing or {}).get("hours_per") or "", "")
    return f"{format_hours(hours)} {per}".strip()


def _coherent_clause(paragraphs: list[str], computed: int | None, existing_text: str, source: str | None = None) -> list[str]:
    """When the dossier already requires hours, the clause states that figure, not procure's estimate."""
    if not existing_text or not computed:
        return paragraphs
    if source == "tender":  # procure.advice already wrote the dossier's own volume into the clause
        return paragraphs
    pattern = re.compile(r"\b" + format_hours(computed).replace("\u202f", "[\u202f\u00a0 ]?") + r"\b")
    return [pattern.sub(existing_text, p) for p in paragraphs]


def _suggestion_context(payload: dict, decision: Decision | None) -> dict:
    existing = payload.get("existing")
    hours = payload.get("hours") or {}
    if hours.get("source") == "tender" and not (existing or {}).get("hours"):  # the dossier's own figure
        existing = {**(existing or {}), "hours": hours.get("hours"), "hours_per": hours.get("per")}
    existing_text = _existing_hours_text(existing, payload.get("existing_hours"))
    clause = _coherent_clause(payload.get("clause_paragraphs", []), hours.get("hours"), existing_text, hours.get("source"))
    status = status_label(payload.get("status") or "")
    return {
        "title": typo_fr(payload["title"]),
        "status": typo_fr(status),
        "decision": typo_fr(decision.label_fr()) if decision else "",
        "decided": bool(decision and decision.decision != "pending"),
        "comments": [typo_fr(comment) for comment in decision.comments_fr()] if decision else [],
        "legal": ", ".join(payload.get("legal_basis", [])),
        "old": ", ".join(payload.get("old_articles", [])) or "aucun équivalent",
        "target": payload.get("target_document", ""),
        "reasons": [typo_fr(r) for r in payload.get("reasons", [])],
        "existing": typo_fr((existing or {}).get("evidence", {}).get("passage", "")),
        "existing_where": _where((existing or {}).get("evidence")),
        "existing_hours": typo_fr(existing_text),
        "clause": [typo_fr(accent_placeholders(p)) for p in clause],
        # One figure: when the dossier fixes the hours, the steps say so instead of computing another volume.
        "hours": [typo_fr(step) for step in hours.get("steps", [])],
        "hours_title": "Volume d’heures d’insertion fixé par le dossier" if existing_text
        else "Calcul du volume d’heures d’insertion",
        "checks": [typo_fr(c) for c in payload.get("points_to_check", [])],
    }


def _place_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Commune):
        return f"{value.name}, {value.department}"
    if isinstance(value, Place):
        return value.label
    if isinstance(value, dict):
        return value.get("label") or value.get("name") or ""
    return str(value)


def _supplier_row(supplier: dict) -> dict:
    kinds = [k.strip() for k in (supplier.get("kinds") or "").split(",") if k.strip()] \
        if isinstance(supplier.get("kinds"), str) else list(supplier.get("kinds") or [])
    return {"name": typo_fr(fictitious_mark(supplier["name"], supplier.get("demo"))),
            "kind": typo_fr(", ".join(KIND_LABELS_SHORT_FR.get(k, k) for k in kinds) or "non renseigné"),
            "commune": supplier.get("commune") or "non renseignée",
            "siret": format_siret(supplier.get("siret"))}


def fictitious_mark(name: str, demo: bool | None) -> str:
    """A demonstration structure always says it is fictitious, once."""
    if not demo:
        return name
    return name if "fictive" in name.lower() else f"{name} — structure FICTIVE de démonstration"


AMOUNT_LABELS_FR = {"maximum": "montant maximum", "minimum": "montant minimum", "total": "montant total"}


def _amount_fr(lot: dict, with_label: bool) -> str:
    """"montant maximum : 1 000 000 € HT (estimé : 800 000 € HT)" in a lot's facts, "1 000 000 € HT (maximum ;
    estimé : 800 000 € HT)" in the summary: a framework's ceiling is never called an estimate."""
    label = AMOUNT_LABELS_FR.get(lot.get("amount_kind") or "", "montant estimé")
    if lot["amount_ht"] is None:
        return f"{label} : non renseigné" if with_label else "—"
    notes = [] if with_label or label == "montant estimé" else [label.removeprefix("montant ")]
    if lot.get("amount_estimate") is not None:
        notes.append(f"estimé : {format_euros(lot['amount_estimate'], tax='HT')}")
    text = format_euros(lot["amount_ht"], tax="HT") + (f" ({' ; '.join(notes)})" if notes else "")
    return f"{label} : {text}" if with_label else text


def _amount_of(lot_advice) -> dict:
    """The lot's amount as the annex shows it: its value HT, its kind, the estimate printed beside a maximum."""
    fact = lot_advice.lot.estimated_amount if lot_advice else None
    amount = fact.value if fact else None
    kind = getattr(amount.kind, "value", amount.kind) if amount is not None else None
    return {"amount_ht": lot_advice.amount_ht if lot_advice else None, "amount_kind": kind,
            "amount_estimate": amount.estimate if amount is not None and amount.tax != "TTC" else None}


def _lot_facts(lot_json: dict | None, cpv: list[str], lot: dict) -> str:
    facts = [f"CPV : {', '.join(cpv) or 'non renseigné'}", _amount_fr(lot, with_label=True)]
    place = _place_text(((lot_json or {}).get("place") or {}).get("value"))
    if place:
        facts.append(f"lieu d'exécution : {place}")
    return typo_fr(" ; ".join(facts) + ".")


def _lots_from_advice(advice: Advice) -> list[dict]:
    lots = []
    for lot_advice in advice.lots:
        lot = lot_advice.lot
        lots.append({"number": lot.number, "title": lot.title.value if lot.title else None,
                     "cpv": [c.full for c in lot.cpv_codes], **_amount_of(lot_advice),
                     "place": to_jsonable(lot.place) if lot.place else None,
                     "suggestions": [(to_jsonable(s), None) for s in lot_advice.suggestions], "suppliers": []})
    return lots


def _lots_from_review(advice: Advice, reviewed: list[ReviewedLot]) -> list[dict]:
    """The stored suggestions the group reviewed, rejected ones left out; lot facts from the stored analysis."""
    by_number = {lot_advice.lot.number: lot_advice for lot_advice in advice.lots}
    lots = []
    for item in reviewed:
        lot_advice = by_number.get(item.number)
        lot = lot_advice.lot if lot_advice else None
        kept = [(s, s["decision"]) for s in item.suggestions if s["decision"].decision != "rejected"]
        lots.append({"number": item.number, "title": lot.title.value if lot and lot.title else None,
                     "cpv": [c.full for c in lot.cpv_codes] if lot else [],
                     **_amount_of(lot_advice),
                     "place": to_jsonable(lot.place) if lot and lot.place else None,
                     "suggestions": kept, "suppliers": item.suppliers, "matching": item.matching})
    return lots


def _lot_context(lot: dict) -> dict:
    title = lot["title"] or f"Lot {lot['number']}"
    suggestions = [_suggestion_context(payload, decision) for payload, decision in lot["suggestions"]]
    return {"number": lot["number"], "title": typo_fr(title),
            "facts": _lot_facts({"place": lot["place"]}, lot["cpv"], lot),
            "suggestions": suggestions, "suppliers": [_supplier_row(s) for s in lot["suppliers"]],
            **_no_credible(lot.get("matching"))}


def _no_credible(matching: dict | None) -> dict:
    """For a lot where the directory holds no credible structure: the sentence and the levers that still apply."""
    if not matching or matching.get("outcome") != "no_credible":
        return {"no_credible": "", "other_levers": []}
    sentence = f"{matching['message']} Leviers qui restent possibles :"
    return {"no_credible": typo_fr(sentence), "other_levers": [typo_fr(lever) for lever in matching["other_levers"]]}


def _decisions_table(reviewed: list[ReviewedLot] | None) -> list[dict]:
    """Who decided what: clauses, then the structures retained or set aside for sourcing."""
    rows = []
    for item in reviewed or []:
        decided = [(s["title"], s["decision"]) for s in item.suggestions
                   if s["decision"].decision != "pending" or s["decision"].comments]
        decided += [(f"Structure pour le sourcing : {fictitious_mark(supplier['name'], supplier.get('demo'))}", decision)
                    for supplier, decision in item.supplier_decisions]
        for what, decision in decided:
            verdict = DECISION_WORDS_FR.get(decision.decision, decision.decision)
            rows.append({"lot": item.number, "what": typo_fr(what),
                         "decision": typo_fr("\n".join([verdict, *decision.comments_fr()])),
                         "who": typo_fr(f"{decision.by or 'inconnu'}, {DECIDER_LABELS_FR.get(decision.role or '', 'le groupe de travail')}"),
                         "when": format_date(decision.at, missing="—")})
    return rows


def annex_context(advice: Advice, generated: date | None = None, reviewed: list[ReviewedLot] | None = None,
                  buyer: str | None = None) -> dict:
    """`reviewed`: the stored, reviewed suggestions (application); `buyer`: the organisation, when the dossier omits it."""
    tender = advice.tender
    raw_lots = _lots_from_review(advice, reviewed) if reviewed is not None else _lots_from_advice(advice)
    lots = [_lot_context(lot) for lot in raw_lots]
    summary = [
        {"number": lot["number"], "title": ctx["title"],
         "amount": typo_fr(_amount_fr(lot, with_label=False)),
         "levers": "\n".join(f"{s['title']} — {s['status']}" + (f", {s['decision']}" if s["decided"] else "")
                             for s in ctx["suggestions"]) or "aucun"}
        for lot, ctx in zip(raw_lots, lots)
    ]
    alerts = [typo_fr(a.message) for a in advice.alerts]
    alerts += [typo_fr(f"Lot {a.lot} : {a.message}") for lot in advice.lots for a in lot.alerts]
    checks = sorted({c for lot in lots for s in lot["suggestions"] for c in s["checks"]})
    buyer_name = tender.buyer.value if tender.buyer else buyer
    return {
        "tender_object": typo_fr(tender.object.value if tender.object else "Consultation"),
        "buyer": typo_fr(buyer_name or "[à compléter : nom de l'acheteur]"),
        "reference": tender.reference.value if tender.reference else "non renseignée",
        "reference_date": format_date(advice.reference_date),
        "date_source": typo_fr(DATE_SOURCES_FR[advice.date_source]),
        "generated": format_date(generated or date.today()),
        "disclaimer": typo_fr(DISCLAIMER),
        "summary": summary,
        "alerts": alerts,
        "lots": lots,
        "decisions": _decisions_table(reviewed),
        "old_to_new": [{"old": o, "subject": typo_fr(s), "new": n} for o, s, n in law.OLD_TO_NEW],
        "checks": checks or ["Aucun point signalé."],
    }


def write_annex(advice: Advice, out: str | Path, generated: date | None = None,
                reviewed: list[ReviewedLot] | None = None, buyer: str | None = None) -> Path:
    from docxtpl import DocxTemplate

    template = DocxTemplate(str(TEMPLATE))
    template.render(annex_context(advice, generated, reviewed, buyer), autoescape=True)
    _restart_numbered_lists(template.docx)
    out = Path(out)
    template.save(str(out))
    return out


def write_annex_for(tender, answers, out: str | Path, generated: date | None = None,
                    reviewed: list[ReviewedLot] | None = None, buyer: str | None = None) -> Path:
    """The annex of a tender with the buyer's answers (category, defence, date), through the one use case
    `advise`: the Word annex then says what the app says (code review D2)."""
    from procure.advice.advise import advise

    return write_annex(advise(tender, answers), out, generated, reviewed, buyer)


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
