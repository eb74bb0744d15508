"""Suggest social clauses per lot, with reasons, evidence, legal basis and compliance alerts.

All legal figures come from `clauses/` through `procure.law`, at the tender's reference date.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from procure import law
from procure.model import Amount, Evidence, Lot, ProvisionKind, SocialProvision, Tender, format_euros, format_int, format_percent

VAT_RATE = Decimal("1.20")  # only to bring a TTC estimate back to HT; flagged to the user when used
SOCIAL_EXECUTION_KINDS = {ProvisionKind.INSERTION_CLAUSE, ProvisionKind.ETHICAL_PURCHASING}
DATE_SOURCES_FR = {
    "given": "date fournie par l'utilisateur",
    "launch": "date de lancement de la consultation",
    "publication": "date d'envoi de l'avis",
    "offers_deadline": "date limite de remise des offres (approximation de la date de lancement)",
    "today": "date du jour (aucune date trouvée dans le dossier)",
}
NATURE_FR = {"works": "travaux", "supplies": "fournitures", "services": "services"}


@dataclass
class HoursComputation:
    amount_ht: Decimal
    labour_share: float
    labour_family: str
    rate: float
    hourly_cost: float
    hours: int
    steps: list[str]
    unverified: bool
    references: list[str]


@dataclass
class Suggestion:
    lever_id: str
    title: str
    lot: int
    score: float
    status: str  # obligatoire, recommandée, possible, déjà présente
    reasons: list[str]
    evidence: list[Evidence]
    legal_basis: list[str]
    old_articles: list[str]
    target_document: str
    clause_paragraphs: list[str]
    points_to_check: list[str] = field(default_factory=list)
    hours: HoursComputation | None = None
    existing: SocialProvision | None = None


@dataclass
class Alert:
    lot: int | None
    code: str  # missing_social_condition, clause_without_hours, criterion_without_weight, date_uncertain
    message: str
    legal_basis: list[str]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class LotAdvice:
    lot: Lot
    nature: str
    cpv: str | None
    amount_ht: Decimal | None
    suggestions: list[Suggestion]
    alerts: list[Alert]


@dataclass
class Advice:
    tender: Tender
    reference_date: date
    date_source: str
    contract_value_ht: Decimal | None
    eu_threshold: law.ParameterValue | None
    mandatory_social_condition: bool
    lots: list[LotAdvice]
    alerts: list[Alert]


def nature_of(cpv: str | None) -> str:
    if not cpv:
        return "services"
    division = int(cpv[:2])
    if division == 45:
        return "works"
    return "supplies" if division < 45 or division == 48 else "services"


def amount_ht(amount: Amount | None) -> tuple[Decimal | None, str | None]:
    """HT value of an estimate, with a note when it had to be converted from TTC."""
    if amount is None:
        return None, None
    if amount.tax == "TTC":
        return (amount.value / VAT_RATE).quantize(Decimal("1")), "montant TTC ramené HT avec une TVA de 20 %"
    return amount.value, None


def reference_date(tender: Tender, given: date | None = None, today: date | None = None) -> tuple[date, str]:
    if given:
        return given, "given"
    for key in ("launch", "publication", "offers_deadline"):
        if key in tender.dates:
            return tender.dates[key].value, key
    return today or date.today(), "today"


def suggest(tender: Tender, on: date | None = None, today: date | None = None) -> Advice:
    ref, source = reference_date(tender, on, today)
    value = _contract_value(tender)
    dominant = nature_of(_main_cpv(tender.lots[0])) if tender.lots else "services"
    threshold = _eu_threshold(dominant, ref)
    mandatory_rule = law.parameter("social_execution_condition_mandatory", ref)
    mandatory = bool(mandatory_rule.value) and value is not None and value >= Decimal(threshold.value)
    alerts = _tender_alerts(source, ref, value, threshold, mandatory_rule)
    lots = [_advise_lot(tender, lot, ref, mandatory, threshold, value) for lot in tender.lots]
    return Advice(tender, ref, source, value, threshold, mandatory, lots, alerts)


def _main_cpv(lot: Lot) -> str | None:
    """The declared CPV, else the group the model predicts (padded to 8 digits: prefix rules still apply)."""
    if lot.cpv_codes:
        return lot.cpv_codes[0].code
    if lot.predicted_cpv:
        return lot.predicted_cpv.value["group"].ljust(8, "0")
    return None


def _contract_value(tender: Tender) -> Decimal | None:
    """Estimated value of the whole contract: the sum of its lots (R2121-1)."""
    amounts = [amount_ht(lot.estimated_amount.value)[0] for lot in tender.lots if lot.estimated_amount]
    return sum(amounts, Decimal(0)) if amounts else None


def _eu_threshold(nature: str, on: date) -> law.ParameterValue:
    name = "eu_threshold_works" if nature == "works" else "eu_threshold_supplies_services_local"
    return law.parameter(name, on)


def _tender_alerts(source: str, ref: date, value, threshold, rule: law.ParameterValue) -> list[Alert]:
    alerts = []
    if source in ("offers_deadline", "today"):
        alerts.append(Alert(None, "date_uncertain", f"Date de référence : {DATE_SOURCES_FR[source]} ({ref:%d/%m/%Y}). "
                            "Les obligations datées (L2112-2-1 au 22/08/2026, seuils) dépendent de la date de lancement : à confirmer.", []))
    if value is None:
        alerts.append(Alert(None, "value_unknown", "Montant estimé inconnu : la comparaison aux seuils européens n'a pas pu être faite.", []))
    if rule.unverified:
        alerts.append(Alert(None, "unverified_rule", f"Obligation L2112-2-1 : {rule.note} ({law.UNVERIFIED_FR})", ["L2112-2-1"]))
    return alerts


def _advise_lot(tender: Tender, lot: Lot, ref: date, mandatory: bool, threshold, value) -> LotAdvice:
    cpv = _main_cpv(lot)
    nature = nature_of(cpv)
    amount, amount_note = amount_ht(lot.estimated_amount.value if lot.estimated_amount else None)
    existing = {p.kind: p for p in tender.provisions_for(lot.number)}
    context = _LotContext(tender, lot, ref, cpv, nature, amount, amount_note, existing, mandatory, threshold, value)
    suggestions = [s for s in (builder(context) for builder in BUILDERS) if s is not None]
    suggestions.sort(key=lambda s: (-s.score, s.lever_id))
    return LotAdvice(lot, nature, cpv, amount, suggestions, _lot_alerts(context))


@dataclass
class _LotContext:
    tender: Tender
    lot: Lot
    on: date
    cpv: str | None
    nature: str
    amount: Decimal | None
    amount_note: str | None
    existing: dict[ProvisionKind, SocialProvision]
    mandatory: bool
    threshold: law.ParameterValue
    contract_value: Decimal | None

    def mandatory_lever(self) -> str | None:
        """The lever that best meets L2112-2-1 for this lot: insertion where labour weighs, else production conditions."""
        if not self.mandatory:
            return None
        share, _, _, _ = law.labour_share(self.cpv, self.nature, self.on)
        intensive = share >= float(law.parameter("labour_intensive_share", self.on).value)
        if not intensive and law.cpv_in_family(self.cpv, "ethical_supply_chain", self.on):
            return "ethical_purchasing"
        return "insertion_clause"

    def base_evidence(self) -> list[Evidence]:
        evidence = [ev for _, ev in self.lot.cpv[:1]]
        if self.lot.estimated_amount and self.lot.estimated_amount.evidence:
            evidence.append(self.lot.estimated_amount.evidence)
        return evidence

    def cpv_reason(self) -> str:
        if not self.cpv:
            return "Aucun code CPV dans le dossier : nature du marché supposée « services »."
        if not self.lot.cpv_codes:
            predicted = self.lot.predicted_cpv.value
            return (f"CPV absent du dossier : groupe {predicted['group']} prédit par le modèle (probabilité "
                    f"{format_percent(predicted['group_probability'])}), marché de {NATURE_FR[self.nature]} — à confirmer.")
        label = self.lot.cpv_codes[0].label
        return f"CPV {self.cpv}{f' ({label})' if label else ''} : marché de {NATURE_FR[self.nature]}."

    def values(self, **extra) -> dict:
        title = self.lot.title.value if self.lot.title else f"lot {self.lot.number}"
        return {"lot_numero": self.lot.number, "lot_intitule": title, **extra}


def _make(context: _LotContext, lever_id: str, score: float, reasons: list[str], values: dict | None = None,
          hours: HoursComputation | None = None, mandatory: bool = False) -> Suggestion | None:
    lever = law.levers()[lever_id]
    if not lever.in_force(context.on):
        return None
    existing = context.existing.get(ProvisionKind(lever.provision_kind))
    evidence = context.base_evidence()
    if existing:
        evidence.append(existing.evidence)
        reasons = reasons + [f"Déjà présent dans le dossier ({existing.evidence.where()})."]
    status = "déjà présente" if existing else "obligatoire" if mandatory else "recommandée" if score >= 0.7 else "possible"
    legal = list(lever.articles) + (lever.articles_from_2026 if mandatory else [])
    checks = [f"{point} ({law.UNVERIFIED_FR})" for point in lever.unverified_points]
    if hours and hours.unverified:
        checks.append(f"Paramètres du calcul d'heures ({law.UNVERIFIED_FR}) : " + " ; ".join(hours.references))
    if context.amount_note:
        checks.append(context.amount_note[0].upper() + context.amount_note[1:] + ".")
    return Suggestion(lever_id, lever.title, context.lot.number, round(score, 2), status, reasons, evidence, legal,
                      lever.old_articles, lever.target_document, lever.render(context.values(**(values or {}))),
                      checks, hours, existing)


def compute_hours(amount: Decimal, cpv: str | None, nature: str, on: date) -> HoursComputation:
    """hours = amount HT × labour share × insertion rate ÷ loaded hourly cost, each factor a dated parameter."""
    share, family, share_unverified, share_param = law.labour_share(cpv, nature, on)
    rate_param = law.parameter("insertion_rate", on)
    cost_param = law.parameter("loaded_hourly_cost", on)
    rate = float(rate_param.value[nature])
    cost = float(cost_param.value)
    labour_amount = amount * Decimal(str(share))
    insertion_amount = labour_amount * Decimal(str(rate))
    hours = int((insertion_amount / Decimal(str(cost))).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    steps = [
        f"Montant estimé du lot : {format_euros(amount)} HT.",
        f"Part de main-d'œuvre ({family}) : {format_percent(share)} → {format_euros(labour_amount)}.",
        f"Taux d'insertion ({NATURE_FR[nature]}) : {format_percent(rate)} → {format_euros(insertion_amount)}.",
        f"Coût horaire chargé : {cost:g}\u00a0€/h → {format_euros(insertion_amount)} ÷ {cost:g}\u00a0€/h = {format_int(hours)} heures.",
    ]
    unverified = share_unverified or rate_param.unverified or cost_param.unverified
    references = [share_param.label_fr(), rate_param.label_fr(), cost_param.label_fr()]
    return HoursComputation(amount, share, family, rate, cost, hours, steps, unverified, references)


def _insertion_clause(c: _LotContext) -> Suggestion | None:
    share, family, _, _ = law.labour_share(c.cpv, c.nature, c.on)
    threshold = float(law.parameter("labour_intensive_share", c.on).value)
    reasons = [c.cpv_reason(), f"Part de main-d'œuvre estimée : {format_percent(share)} ({family})."]
    score = 0.4 + 0.6 * min(share / 0.7, 1.0) if share >= threshold else 0.25 * share / threshold
    mandatory = c.mandatory_lever() == "insertion_clause"
    if mandatory:
        reasons.append(_mandatory_reason(c))
        score = 1.0
    hours = compute_hours(c.amount, c.cpv, c.nature, c.on) if c.amount else None
    if hours:
        reasons.append(f"Volume proposé : {format_int(hours.hours)} heures d'insertion (calcul détaillé ci-dessous).")
        existing = c.existing.get(ProvisionKind.INSERTION_CLAUSE)
        if existing and existing.hours and existing.hours < hours.hours * 0.5:
            reasons.append(f"Le dossier prévoit {existing.hours} heures, moins de la moitié du volume calculé.")
    else:
        reasons.append("Montant du lot inconnu : le volume d'heures reste à calculer.")
    if score < 0.3 and not mandatory and ProvisionKind.INSERTION_CLAUSE not in c.existing:
        return None
    values = {"heures": format_int(hours.hours) if hours else None}
    return _make(c, "insertion_clause", score, reasons, {k: v for k, v in values.items() if v is not None}, hours, mandatory)


def _mandatory_reason(c: _LotContext) -> str:
    return (f"Marché estimé à {format_euros(c.contract_value)} HT, au moins égal au seuil européen de "
            f"{format_euros(Decimal(c.threshold.value))} HT, lancé à partir du 22/08/2026 : une condition d'exécution "
            "sociale est obligatoire (L2112-2-1).")


def _applies(c: _LotContext, lever_id: str, family: str) -> bool:
    """The lot's CPV is in the lever's family, or the tender already uses the lever."""
    kind = ProvisionKind(law.levers()[lever_id].provision_kind)
    return law.cpv_in_family(c.cpv, family, c.on) or kind in c.existing


def _reserved(lever_id: str, family: str, score: float, why: str):
    def build(c: _LotContext) -> Suggestion | None:
        if not _applies(c, lever_id, family):
            return None
        reasons = [c.cpv_reason(), why]
        adjusted = score
        if c.amount and c.amount > Decimal(1_000_000):
            adjusted -= 0.2
            reasons.append("Montant élevé : vérifier la capacité des structures locales (sourcing) ou allotir davantage.")
        share = law.parameter("reserved_minimum_share", c.on)
        return _make(c, lever_id, adjusted, reasons, {"part_minimale": format_percent(share.value)})

    return build


def _social_criterion(c: _LotContext) -> Suggestion | None:
    share, family, _, _ = law.labour_share(c.cpv, c.nature, c.on)
    if share < float(law.parameter("labour_intensive_share", c.on).value) and ProvisionKind.SOCIAL_CRITERION not in c.existing:
        return None
    weight = law.parameter("social_criterion_weight", c.on)
    reasons = [c.cpv_reason(), f"Marché exécutable en partie par des personnes en insertion ({family}).",
               f"Pondération suggérée : {format_percent(weight.value)} ({weight.reference}).",
               "À combiner avec la clause d'insertion, qui fixe le volume d'heures dû."]
    return _make(c, "social_criterion", 0.5, reasons, {"ponderation": format_percent(weight.value)})


def _supply_chain(lever_id: str, family: str, score: float, why: str):
    def build(c: _LotContext) -> Suggestion | None:
        if not _applies(c, lever_id, family):
            return None
        reasons = [c.cpv_reason(), why]
        mandatory = c.mandatory_lever() == lever_id
        if mandatory:
            reasons.append(_mandatory_reason(c) + " Cette condition sur la production y répond pour des fournitures.")
        return _make(c, lever_id, 1.0 if mandatory else score, reasons, mandatory=mandatory)

    return build


BUILDERS = [
    _insertion_clause,
    _reserved("reserved_disability", "sheltered_sector", 0.6,
              "Activité couramment exercée par des entreprises adaptées et des ESAT : le lot peut leur être réservé."),
    _reserved("reserved_siae", "insertion_sector", 0.55,
              "Activité exercée par des structures d'insertion (EI, ACI, AI, ETTI) : réservation possible si l'offre locale suffit."),
    _reserved("reserved_ess", "social_services", 0.5,
              "Service social ou spécifique : réservation possible aux entreprises de l'ESS (L2113-15)."),
    _social_criterion,
    _supply_chain("ethical_purchasing", "ethical_supply_chain", 0.7,
                  "Fournitures à risque social dans la chaîne d'approvisionnement (textile, jouets, papeterie, informatique, denrées)."),
    _supply_chain("fair_trade", "fair_trade", 0.5, "Produits pour lesquels des filières de commerce équitable existent."),
    _supply_chain("social_services_procedure", "social_services", 0.6,
                  "Service social ou spécifique : procédure adaptée possible quel que soit le montant (R2123-1 3°)."),
]


def _lot_alerts(c: _LotContext) -> list[Alert]:
    alerts = []
    if c.mandatory and not any(kind in c.existing for kind in SOCIAL_EXECUTION_KINDS):
        alerts.append(Alert(c.lot.number, "missing_social_condition",
                            f"Non-conformité probable : le lot {c.lot.number} ne comporte aucune condition d'exécution sociale. "
                            + _mandatory_reason(c), ["L2112-2-1"], c.base_evidence()))
    clause = c.existing.get(ProvisionKind.INSERTION_CLAUSE)
    if clause and not clause.hours:
        alerts.append(Alert(c.lot.number, "clause_without_hours",
                            "Clause d'insertion sans volume d'heures chiffré : une clause non calibrée est inopérante (DAE).",
                            ["L2112-2"], [clause.evidence]))
    criterion = c.existing.get(ProvisionKind.SOCIAL_CRITERION)
    if criterion and criterion.weight_percent is None:
        alerts.append(Alert(c.lot.number, "criterion_without_weight",
                            "Critère social sans pondération : il doit être pondéré (L2152-7).", ["R2152-7"], [criterion.evidence]))
    return alerts
