"""Suggest social clauses per lot, with reasons, evidence, legal basis and compliance alerts.

All legal figures, dates and lists come from `clauses/` through `procure.law`, at the tender's reference date:
no date, threshold or CPV list is written here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from procure import law
from procure.model import (
    BUYER_CATEGORY_LABELS_FR,
    Amount,
    AmountKind,
    BuyerCategory,
    Evidence,
    Lot,
    ProvisionKind,
    SocialProvision,
    Tender,
    format_euros,
    format_int,
    format_percent,
)
from procure.text.format_fr import format_months, format_quantity, where_fr

VAT_RATE = Decimal("1.20")  # only to bring a TTC estimate back to HT; flagged to the user when used
OBLIGATION_ARTICLE = "L2112-2-1"
DATE_SOURCES_FR = {
    "given": "date fournie par l'utilisateur",
    "launch": "date de lancement de la consultation",
    "publication": "date d'envoi de l'avis",
    "offers_deadline": "date limite de remise des offres, retenue à défaut de date de lancement",
    "pieces": "date imprimée sur les pièces du dossier, retenue à défaut de date de lancement",
    "today": "date du jour, aucune date n'ayant été trouvée dans le dossier",
}
NATURE_FR = {"works": "travaux", "supplies": "fournitures", "services": "services",
             "social_services": "services sociaux et autres services spécifiques"}
CATEGORY_SOURCES_FR = {"extracted": "lue dans le dossier", "chosen": "choisie par l'utilisateur", "unknown": "inconnue"}
FORMAL_PROCEDURES_FR = "procédure formalisée"
QUALIFIED_SCORE = 0.5  # relevance of the insertion clause for intellectual services, whatever their labour share
DEFENCE_CPV_DIVISION = "35"  # security, fire-fighting, police and defence equipment: a hint, never a conclusion


@dataclass
class HoursComputation:
    amount_ht: Decimal | None
    labour_share: float | None
    labour_family: str | None
    rate: float | None
    hourly_cost: float | None
    hours: int  # the volume proposed: the tender's own when it has one, else the formula's
    steps: list[str]
    unverified: bool
    references: list[str]
    source: str = "computed"  # "computed" (formula) or "tender" (hours already required by the tender)
    per: str = "total"  # "total", or "year" when the tender gives hours per year and the duration is unknown
    computed_hours: int | None = None  # the formula's figure, for comparison when the tender fixes the volume
    amount_kind: str | None = None  # AmountKind value of the amount the formula started from (None: not said)
    # The formula's volume is under the minimum meaningful volume (insertion_minimum_hours): not proposed.
    below_minimum: bool = False
    euros_per_hour: Decimal | None = None  # per == "invoiced": 1 hour per this many euros HT invoiced

    def volume_fr(self) -> str:
        if self.per == "invoiced":
            return f"1 heure par tranche de {format_euros(self.euros_per_hour)} HT facturés"
        per = " par année d'exécution" if self.per == "year" else ""
        return f"{format_int(self.hours)} heures{per}"

    def volume_phrase_fr(self) -> str:
        """The « Volume : … » sentence of the clause."""
        if self.per == "invoiced":
            return (f"le titulaire réalise 1 heure de travail d'insertion par tranche de {format_euros(self.euros_per_hour)} "
                    "HT facturés au titre du marché (bons de commande ou marchés subséquents), selon la méthode annexée ; "
                    f"à titre indicatif, {format_int(self.hours)} heures au plus si le montant maximum est atteint, ce "
                    "plafond n'étant pas un minimum dû.")
        return f"le titulaire réalise au minimum {self.volume_fr()} de travail d'insertion, calculées selon la méthode annexée."


@dataclass
class Suggestion:
    lever_id: str
    title: str
    lot: int
    score: float
    status: str  # recommandée, possible, déjà présente (labels of procure.service.schema.SuggestionStatus)
    reasons: list[str]
    evidence: list[Evidence]
    legal_basis: list[str]
    old_articles: list[str]
    target_document: str
    clause_paragraphs: list[str]
    points_to_check: list[str] = field(default_factory=list)
    hours: HoursComputation | None = None
    existing: SocialProvision | None = None
    ready_to_sign: bool = True  # False when the clause text rests on an unconfirmed point
    # The obligation this lever is the chosen way to meet. The lever itself is never "obligatoire": the law asks
    # for a social consideration, the insertion clause being the usual way (L2112-2-1).
    obligation: str | None = None


@dataclass
class Alert:
    lot: int | None
    code: str  # missing_social_condition, clause_without_hours, criterion_without_weight, date_uncertain…
    message: str
    legal_basis: list[str]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ObligationCheck:
    """Whether L2112-2-1 applies, and on which facts: the result says the threshold, category and date used."""

    applies: bool | None  # None: it depends on the buyer's category, which is unknown
    in_force: bool
    rule: law.ParameterValue
    entry_into_force: date
    category: str | None
    category_source: str  # extracted, chosen, unknown
    nature: str  # works, supplies, services, social_services: of the whole contract
    nature_reason: str
    contract_value: Decimal | None
    thresholds: list[law.Threshold]  # the one of the category, or one per category when it is unknown
    excluded: bool  # defence and security contracts
    explanation: str
    # Lots whose amount is unknown: the value is then partial (R2121-1 counts every lot) and, below a threshold,
    # the obligation is undetermined, never "ne s'applique pas".
    lots_without_amount: list[int] = field(default_factory=list)
    value_is_maximum: bool = False  # the value sums framework maxima (R2121-8), not estimates

    @property
    def undetermined_fr(self) -> str | None:
        """Why the obligation is undetermined (applies is None), in French; None when it is determined."""
        if self.applies is not None:
            return None
        if self.contract_value is None:
            return "indéterminée : montant estimé inconnu"
        if self.lots_without_amount:
            return "indéterminée : montant d'au moins un lot inconnu"
        return "indéterminée : catégorie de l'acheteur inconnue"

    @property
    def threshold(self) -> law.Threshold | None:
        return self.thresholds[0] if len(self.thresholds) == 1 else None


@dataclass
class LotAdvice:
    lot: Lot
    nature: str
    cpv: str | None
    amount_ht: Decimal | None
    suggestions: list[Suggestion]
    alerts: list[Alert]
    social_service: bool = False
    ways_to_comply: list[str] = field(default_factory=list)  # French, when L2112-2-1 applies or may apply


@dataclass
class Advice:
    tender: Tender
    reference_date: date
    date_source: str
    contract_value_ht: Decimal | None
    eu_threshold: law.ParameterValue | None  # None when the buyer's category is unknown: see obligation.thresholds
    mandatory_social_condition: bool | None  # None: depends on the unknown buyer category
    lots: list[LotAdvice]
    alerts: list[Alert]
    obligation: ObligationCheck | None = None


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
    for key in ("launch", "publication", "offers_deadline", "pieces"):
        if key in tender.dates:
            return tender.dates[key].value, key
    return today or date.today(), "today"


def suggest(tender: Tender, on: date | None = None, today: date | None = None,
            category: BuyerCategory | str | None = None, defence_security: bool | None = None) -> Advice:
    """`category`: the user's choice of buyer category, used when given (else the extracted one).
    `defence_security`: True when the user says the contract is a defence or security contract."""
    ref, source = reference_date(tender, on, today)
    dated, start = ref, law.rules_start()
    ref = max(ref, start)  # older tenders: the earliest encoded rules, said in an alert
    if defence_security is None and tender.defence_security is not None:
        defence_security = bool(tender.defence_security.value)  # the pieces say it; the user's answer prevails
    obligation = check_obligation(tender, ref, category, defence_security)
    alerts = _tender_alerts(tender, source, ref, obligation)
    if dated < start:
        alerts.insert(0, Alert(None, "date_before_rules",
                               f"Consultation datée du {dated:%d/%m/%Y} ({DATE_SOURCES_FR.get(source, source)}). Les règles "
                               f"antérieures au {start:%d/%m/%Y} ne sont pas encodées, celles de cette date sont "
                               f"appliquées ({law.UNVERIFIED_FR}).", []))
    lots = [_advise_lot(tender, lot, ref, obligation) for lot in tender.lots]
    used = obligation.threshold.parameter if obligation.threshold else None
    return Advice(tender, ref, source, obligation.contract_value, used, obligation.applies, lots, alerts, obligation)


# ---------------------------------------------------------------- the L2112-2-1 obligation


def _main_cpv(lot: Lot) -> str | None:
    """The declared CPV, else the group the model predicts (padded to 8 digits: prefix rules still apply)."""
    if lot.cpv_codes:
        return lot.cpv_codes[0].code
    if lot.predicted_cpv:
        return lot.predicted_cpv.value["group"].ljust(8, "0")
    return None


def lot_nature(cpv: str | None, on: date) -> str:
    """works, supplies, services, or social_services (R2123-1 3° list in clauses/)."""
    nature = nature_of(cpv)
    return "social_services" if nature == "services" and law.is_social_service(cpv, on) else nature


def _lot_amount(lot: Lot) -> Decimal | None:
    return amount_ht(lot.estimated_amount.value)[0] if lot.estimated_amount else None


def _contract_value(tender: Tender) -> tuple[Decimal | None, list[int]]:
    """Estimated value of the whole contract: the sum of its lots (R2121-1), and the lots without an amount
    (when there are some, the sum is only a lower bound)."""
    amounts = {lot.number: _lot_amount(lot) for lot in tender.lots}
    known = [a for a in amounts.values() if a is not None]
    missing = [number for number, amount in amounts.items() if amount is None]
    return (sum(known, Decimal(0)) if known else None), (missing if known else [])


def contract_nature(tender: Tender, on: date) -> tuple[str, str]:
    """Nature of the whole contract: the nature carrying the largest estimated value over all lots (mixed
    contracts), or the most frequent one when amounts are unknown. Returns (nature, French reason)."""
    by_nature: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for lot in tender.lots:
        nature = lot_nature(_main_cpv(lot), on)
        by_nature[nature] = by_nature.get(nature, Decimal(0)) + (_lot_amount(lot) or Decimal(0))
        counts[nature] = counts.get(nature, 0) + 1
    if not counts:
        return "services", "aucun lot identifié : nature supposée « services » (à vérifier)"
    if len(counts) == 1:
        nature = next(iter(counts))
        return nature, f"tous les lots relèvent des {NATURE_FR[nature]}"
    if any(by_nature.values()):
        nature = max(by_nature, key=lambda n: (by_nature[n], n == "works"))
        shares = ", ".join(f"{NATURE_FR[n]} {format_euros(v)}" for n, v in sorted(by_nature.items(), key=lambda i: -i[1]))
        return nature, (f"marché mixte, nature retenue d'après la part la plus élevée du montant estimé ({shares}) "
                        f"({law.UNVERIFIED_FR} : objet principal des marchés mixtes)")
    nature = max(counts, key=lambda n: (counts[n], n == "works"))
    return nature, f"marché mixte sans montants : nature la plus fréquente parmi les lots ({law.UNVERIFIED_FR})"


def _category(tender: Tender, chosen: BuyerCategory | str | None) -> tuple[str | None, str]:
    if chosen:
        return BuyerCategory(chosen).value, "chosen"
    fact = tender.buyer_category
    if fact is not None and fact.value:
        return BuyerCategory(fact.value).value, "extracted"
    return None, "unknown"


def check_obligation(tender: Tender, on: date, chosen_category=None, defence_security: bool | None = None) -> ObligationCheck:
    rule = law.parameter("social_execution_condition_mandatory", on)
    start = law.entry_into_force("social_execution_condition_mandatory")
    category, category_source = _category(tender, chosen_category)
    nature, nature_reason = contract_nature(tender, on)
    value, missing = _contract_value(tender)
    thresholds = [law.eu_threshold(category, nature, on)] if category else law.eu_thresholds(nature, on)
    if nature == "social_services":
        thresholds = [_social_services_threshold(t, on) for t in thresholds]
    in_force = bool(rule.value)
    excluded = bool(defence_security) and in_force and "defence_security" in _exclusions(on)
    if not in_force or excluded:
        applies = False
    elif value is None:
        applies = None  # no amount at all: nothing can be concluded
    else:
        above = {value >= t.value for t in thresholds}
        applies = above.pop() if len(above) == 1 else None
        if applies is False and missing:
            applies = None  # a partial sum under the threshold proves nothing: the unknown lots may reach it
    maximum = any(lot.estimated_amount and _kind_value(lot.estimated_amount.value.kind) == AmountKind.MAXIMUM.value
                  for lot in tender.lots)
    check = ObligationCheck(applies, in_force, rule, start, category, category_source, nature, nature_reason, value,
                            thresholds, excluded, "", missing, maximum)
    check.explanation = _obligation_fr(check, on)
    return check


def _social_services_threshold(threshold: law.Threshold, on: date) -> law.Threshold:
    """The nature rests on the list of social and specific services, still to compare with the CCP's notice, and
    whether L2112-2-1 uses this threshold or the general one is not settled: the threshold is shown « à vérifier »."""
    family = law.lever(law.SOCIAL_SERVICES_LEVER).cpv_family_at(on)
    if threshold.parameter.unverified or not (family and family.unverified):
        return threshold
    note = "Seuil déduit de la liste des services sociaux et spécifiques (annexe XIV de la directive 2014/24/UE)."
    return replace(threshold, parameter=replace(threshold.parameter, unverified=True,
                                                note=f"{threshold.parameter.note} {note}".strip()))


def _exclusions(on: date) -> list[str]:
    try:
        return list(law.parameter("social_execution_condition_exclusions", on).value)
    except LookupError:
        return []


CATEGORY_SHORT_FR = {"central": "État", "local": "collectivités et autres pouvoirs adjudicateurs",
                     "contracting_entity": "entités adjudicatrices"}


def thresholds_fr(thresholds: list[law.Threshold]) -> str:
    flag = lambda t: f", {law.UNVERIFIED_FR}" if t.parameter.unverified else ""  # noqa: E731
    return " ; ".join(f"{format_euros(t.value)} HT ({CATEGORY_SHORT_FR[t.category]}{flag(t)})" for t in thresholds)


def _obligation_fr(check: ObligationCheck, on: date) -> str:
    """Which rule, threshold, category and date were used, in one French paragraph."""
    flag = f" ({law.UNVERIFIED_FR})" if check.rule.unverified else ""
    parts = [f"Obligation {OBLIGATION_ARTICLE} appréciée au {on:%d/%m/%Y} : applicable aux consultations lancées à partir du "
             f"{check.entry_into_force:%d/%m/%Y}{flag}."]
    sources: list = [check.rule]
    if not check.in_force:
        parts.append("Consultation antérieure : l'obligation ne s'applique pas.")
        return " ".join(parts + [law.sources_fr(*sources)])
    if check.excluded:
        exclusions = law.parameter("social_execution_condition_exclusions", on)
        parts.append("Marché de défense ou de sécurité : hors du champ de l'obligation"
                     + (f" ({law.UNVERIFIED_FR})." if exclusions.unverified else "."))
        return " ".join(parts + [law.sources_fr(*sources, exclusions)])
    listed = f" ({law.UNVERIFIED_FR} : liste de l'annexe XIV)" if check.nature == "social_services" else ""
    parts.append(f"Nature du marché dans son ensemble : {NATURE_FR[check.nature]}{listed} ({check.nature_reason}).")
    if check.category:
        t = check.thresholds[0]
        parts.append(f"Catégorie d'acheteur {CATEGORY_SOURCES_FR[check.category_source]} : "
                     f"{BUYER_CATEGORY_LABELS_FR[BuyerCategory(check.category)]} ; seuil européen applicable : "
                     f"{format_euros(t.value)} HT" + (f" ({law.UNVERIFIED_FR})." if t.parameter.unverified else "."))
    else:
        parts.append("Catégorie d'acheteur inconnue : seuils de chaque catégorie — " + thresholds_fr(check.thresholds) + ".")
    sources += [t.parameter for t in check.thresholds]
    if check.category == "central" and check.nature == "supplies":  # law review A4
        local = law.eu_threshold("local", "supplies", on)
        parts.append("Pour les ministères de la défense, les fournitures non listées à l'annexe III de la directive "
                     f"2014/24/UE relèvent du seuil de {format_euros(local.value)} HT ({law.UNVERIFIED_FR}).")
    if check.nature == "social_services":
        general = law.eu_threshold(check.category or "local", "services", on)
        parts.append("Seuil des services sociaux et autres services spécifiques retenu ; l'application à "
                     f"{OBLIGATION_ARTICLE} de ce seuil plutôt que du seuil général des services "
                     f"({format_euros(general.value)} HT) est {law.UNVERIFIED_FR}.")
    if check.contract_value is None:
        parts.append(f"Montant estimé inconnu : comparaison aux seuils impossible ; obligation {check.undetermined_fr}.")
    elif check.lots_without_amount:
        lots = ", ".join(map(str, check.lots_without_amount))
        verdict = ("l'obligation s'applique déjà" if check.applies
                   else f"obligation {check.undetermined_fr} (lot{'s' if len(check.lots_without_amount) > 1 else ''} {lots})")
        parts.append(f"Montant partiel des lots dont le montant est connu : {format_euros(check.contract_value)} HT, "
                     f"sans le montant du lot {lots} : {verdict}.")
    else:
        verdict = {True: "l'obligation s'applique", False: "sous le seuil : l'obligation ne s'applique pas",
                   None: "l'obligation dépend de la catégorie de l'acheteur, à préciser"}[check.applies]
        parts.append(f"{_value_label_fr(check)[0].upper()}{_value_label_fr(check)[1:]} de l'ensemble des lots : {format_euros(check.contract_value)} HT : {verdict}.")
    return " ".join(parts + [law.sources_fr(*sources)])


# ---------------------------------------------------------------- tender-level alerts


def _tender_alerts(tender: Tender, source: str, ref: date, check: ObligationCheck) -> list[Alert]:
    alerts = []
    if source in ("offers_deadline", "pieces", "today"):
        alerts.append(Alert(None, "date_uncertain", f"Date de référence du {ref:%d/%m/%Y} : {DATE_SOURCES_FR[source]}. "
                            f"Les obligations datées ({OBLIGATION_ARTICLE} à partir du {check.entry_into_force:%d/%m/%Y}, "
                            "seuils) dépendent de la date de lancement : à confirmer.", []))
    if check.excluded and tender.defence_security is not None:
        fact = tender.defence_security
        alerts.append(Alert(None, "defence_read",
                            "Le dossier indique un marché de défense ou de sécurité : l'obligation "
                            f"{OBLIGATION_ARTICLE} ne s'applique pas. Si ce n'est pas le cas, corrigez-le "
                            "(« Marché de défense ou de sécurité » sur la page de la consultation ; en ligne de "
                            "commande, --non-defense-securite).", [OBLIGATION_ARTICLE],
                            [fact.evidence] if fact.evidence else []))
    if check.contract_value is None:
        alerts.append(Alert(None, "value_unknown", "Montant estimé inconnu : la comparaison aux seuils européens n'a pas "
                            f"pu être faite ; l'obligation {OBLIGATION_ARTICLE} est indéterminée.", [OBLIGATION_ARTICLE]))
    for number in check.lots_without_amount:
        lot = next(lot for lot in tender.lots if lot.number == number)
        title = f" ({lot.title.value})" if lot.title and lot.title.value else ""
        alerts.append(Alert(number, "lot_amount_unknown",
                            f"Montant du lot {number}{title} inconnu : la valeur du marché est partielle "
                            f"({format_euros(check.contract_value)} HT sans ce lot) alors que tous les lots comptent "
                            f"(R2121-1). L'obligation {OBLIGATION_ARTICLE} "
                            + ("s'applique déjà." if check.applies else "reste indéterminée : précisez le montant de ce lot."),
                            ["R2121-1", OBLIGATION_ARTICLE], [lot.title.evidence] if lot.title and lot.title.evidence else []))
    if check.category is None and check.in_force:
        alerts.append(Alert(None, "category_unknown",
                            "Catégorie de l'acheteur inconnue (État, collectivité ou entité adjudicatrice) : le seuil "
                            "européen en dépend. Précisez-la (option --categorie) ; seuils de chaque catégorie : "
                            + thresholds_fr(check.thresholds) + ".", [OBLIGATION_ARTICLE]))
    if check.in_force and check.rule.unverified:
        alerts.append(Alert(None, "unverified_rule", f"Obligation {OBLIGATION_ARTICLE}, date d'entrée en vigueur "
                            f"{law.UNVERIFIED_FR} : {check.rule.note}",
                            [OBLIGATION_ARTICLE]))
    if check.in_force and not check.excluded and any((_main_cpv(lot) or "").startswith(DEFENCE_CPV_DIVISION) for lot in tender.lots):
        alerts.append(Alert(None, "defence_possible",
                            "Équipements de sécurité ou de défense (CPV 35) : si le marché est un marché de défense ou de "
                            f"sécurité, l'obligation {OBLIGATION_ARTICLE} ne s'applique pas ({law.UNVERIFIED_FR}).",
                            [OBLIGATION_ARTICLE]))
    if not check.excluded:  # defence and security contracts: the article-35 considerations stay optional (L2312-1-1)
        alerts += _environmental_alerts(ref)
    return alerts


def _environmental_alerts(ref: date) -> list[Alert]:
    """Same article 35: an environmental execution condition and an environmental award criterion in every contract."""
    condition = law.parameter("environmental_execution_condition_mandatory", ref)
    criterion = law.parameter("environmental_award_criterion_mandatory", ref)
    if not (condition.value or criterion.value):
        return []
    return [Alert(None, "environmental_obligations",
                  "Obligations environnementales du même article 35 de la loi Climat et Résilience, pour tout marché : "
                  "une condition d'exécution prenant en compte l'environnement (L2112-2) et au moins un critère "
                  "d'attribution environnemental (L2152-7). Elles ne relèvent pas des clauses sociales proposées ici : "
                  f"à vérifier dans le dossier. {law.sources_fr(condition)}", ["L2112-2", "L2152-7"])]


# ---------------------------------------------------------------- per lot


def _advise_lot(tender: Tender, lot: Lot, ref: date, check: ObligationCheck) -> LotAdvice:
    cpv = _main_cpv(lot)
    nature = nature_of(cpv)
    amount, amount_note = amount_ht(lot.estimated_amount.value if lot.estimated_amount else None)
    existing = {p.kind: p for p in tender.provisions_for(lot.number)}
    context = _LotContext(tender, lot, ref, cpv, nature, amount, amount_note, existing, check)
    suggestions = [s for s in (builder_for(lever_id)(context) for lever_id in law.levers()) if s is not None]
    suggestions.sort(key=lambda s: (-s.score, s.lever_id))
    ways = _ways_to_comply_fr(context) if check.applies is not False else []
    return LotAdvice(lot, nature, cpv, amount, suggestions, _lot_alerts(context), law.is_social_service(cpv, ref), ways)


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
    check: ObligationCheck

    def labour(self) -> tuple[float, str, bool]:
        """(share, family, labour-intensive): intellectual services are not « intensive » for insertion hours, their
        labour being qualified (see `qualified`)."""
        share, family, _, _ = law.labour_share(self.cpv, self.nature, self.on)
        intensive = share >= float(law.parameter("labour_intensive_share", self.on).value) and not self.qualified()
        return share, family_fr(family), intensive

    def qualified(self) -> bool:
        return law.qualified_trade(self.cpv, self.on)

    def obligation_lever(self) -> tuple[str | None, str]:
        """The way to meet L2112-2-1 that fits this lot, and why: the insertion clause where labour weighs,
        production conditions for supplies with a risky supply chain, else the insertion clause all the same."""
        if self.check.applies is False:
            return None, ""
        share, family, intensive = self.labour()
        if intensive:
            return "insertion_clause", (f"clause d'insertion retenue : la main-d'œuvre représente environ "
                                        f"{format_percent(share)} du montant ({family}).")
        if self.qualified():
            return "insertion_clause", (f"prestations intellectuelles ({family}) : le personnel fait l'essentiel du prix "
                                        f"(environ {format_percent(share)}, estimation procure, {law.UNVERIFIED_FR}) mais "
                                        "il est qualifié ; fixer avec le facilitateur un volume réaliste (apprentissage, "
                                        "alternance, stages, fonctions support) ou retenir une condition sociale sans "
                                        "heures (voir les autres manières ci-dessous).")
        if law.cpv_in_family(self.cpv, "ethical_purchasing", self.on):
            return "ethical_purchasing", (f"main-d'œuvre faible ({format_percent(share)}, {family}) : conditions sociales de "
                                          "production retenues pour ces fournitures ; leur recevabilité au titre de "
                                          f"{OBLIGATION_ARTICLE} est très probable mais {law.UNVERIFIED_FR} ; l'apprentissage "
                                          "ou la clause d'insertion en sont d'autres manières.")
        return "insertion_clause", (f"clause d'insertion retenue bien que la main-d'œuvre soit faible ({format_percent(share)}, "
                                    f"{family}) : c'est la voie confirmée ; calibrer le volume avec le facilitateur.")

    def obligation_fr(self) -> str:
        rule = f"{OBLIGATION_ARTICLE} : une considération sociale ou relative à l'emploi parmi les conditions d'exécution"
        if self.check.applies:
            return f"répond à l'obligation {rule}"
        if self.check.contract_value is None or self.check.lots_without_amount:
            return f"répond à l'obligation {rule}, si l'ensemble des lots atteint le seuil européen"
        return f"répond à l'obligation {rule}, si la catégorie de l'acheteur l'impose"

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


def _ways_to_comply_fr(c: _LotContext) -> list[str]:
    """Every lever that can meet L2112-2-1, in the order of clauses/ (insertion first), the fitting one marked."""
    chosen, why = c.obligation_lever()
    ways = sorted((lever for lever in law.levers().values()
                   if lever.obligation and lever.in_force(c.on) and _relevant_way(c, lever)),
                  key=lambda lever: (lever.obligation.rank, lever.id))
    lines = []
    for lever in ways:
        flag = f" ({law.UNVERIFIED_FR})" if lever.obligation.unverified else ""
        mark = " — retenue pour ce lot : " + why if lever.id == chosen else ""
        lines.append(f"{lever.title}{flag} : {lever.obligation.why}{mark}")
    return lines + _conditions_without_hours_fr(c)


def _relevant_way(c: _LotContext, lever: law.Lever) -> bool:
    """A way to comply is shown where it fits the lot: a lever without CPV family always, else one whose family
    covers the lot's CPV or that the tender already uses (no supply-chain clause for an IT service)."""
    if not lever.cpv_families or lever.id == "insertion_clause":
        return True
    return _applies(c, lever.id)


def _conditions_without_hours_fr(c: _LotContext) -> list[str]:
    """The social execution conditions with no hours (clauses/: social_conditions_without_hours), marked as fitting
    when the lot is too small or too qualified for hours."""
    try:
        param = law.parameter("social_conditions_without_hours", c.on)
    except (KeyError, LookupError):
        return []
    hours = c.lot.estimated_amount and c.amount and compute_hours(c.amount, c.cpv, c.nature, c.on)
    fits = c.qualified() or bool(hours and hours.below_minimum)
    why = " — adaptée à ce lot, trop " + ("qualifié" if c.qualified() else "petit") + " pour des heures" if fits else ""
    lines = []
    for way in param.value:
        flag = f" ({law.UNVERIFIED_FR})" if way.get("unverified") else ""
        lines.append(f"Condition sociale sans heures — {way['label']}{flag} : {way['conditions']}{why}")
    lines.append("À défaut de toute condition sociale : l'un des motifs d'exception, justifié et consigné par écrit "
                 f"({law.UNVERIFIED_FR}). " + law.sources_fr(param))
    return lines


HOURS_FACTORS_FR = ("part de main-d'œuvre", "taux d'insertion", "coût horaire moyen")  # order of references


def _hours_parameters_check(hours: HoursComputation) -> str:
    """« Paramètres du calcul d'heures (à vérifier) : part de main-d'œuvre, coût horaire moyen, à confirmer avec le
    facilitateur. Sources : … »: which factors are unconfirmed, then the sources, not piled into the sentence."""
    flag = f" ({law.UNVERIFIED_FR})"
    unconfirmed = [factor for factor, reference in zip(HOURS_FACTORS_FR, hours.references) if reference.endswith(flag)]
    sources = law.sources_fr(*(reference.removesuffix(flag) for reference in hours.references))
    return (f"Paramètres du calcul d'heures{flag} : {', '.join(unconfirmed) or 'tous'}, à confirmer avec le facilitateur. "
            + sources).strip()


def _make(context: _LotContext, lever_id: str, score: float, reasons: list[str], values: dict | None = None,
          hours: HoursComputation | None = None, mandatory: bool = False) -> Suggestion | None:
    lever = law.lever(lever_id)
    if not lever.in_force(context.on):
        return None
    existing = context.existing.get(ProvisionKind(lever.provision_kind))
    evidence = context.base_evidence()
    if existing:
        evidence.append(existing.evidence)
        reasons = reasons + [f"Déjà présent dans le dossier ({where_fr(existing.evidence)})."]
    status = "déjà présente" if existing else "recommandée" if mandatory or score >= 0.7 else "possible"
    legal = list(lever.articles) + ([lever.obligation.article] if mandatory and lever.obligation else [])
    checks = [f"{point} ({law.UNVERIFIED_FR})" for point in lever.unverified_points]
    if mandatory and lever.obligation and lever.obligation.unverified:
        checks.append(f"Recevabilité de ce levier au titre de {lever.obligation.article} ({law.UNVERIFIED_FR}).")
    if hours and hours.source == "computed" and hours.amount_kind in AMOUNT_BASIS_CHECK_FR and not hours.below_minimum:
        checks.append(AMOUNT_BASIS_CHECK_FR[hours.amount_kind])
    if hours and hours.unverified:
        checks.append(_hours_parameters_check(hours))
    if context.amount_note:
        checks.append(context.amount_note[0].upper() + context.amount_note[1:] + ".")
    return Suggestion(lever_id, lever.title, context.lot.number, round(score, 2), status, reasons, evidence, legal,
                      lever.old_articles, lever.target_document, lever.render(context.values(**(values or {}))),
                      checks, hours, existing, ready_to_sign=not lever.draft_warning and not _rests_on_estimates(hours),
                      obligation=context.obligation_fr() if mandatory else None)


def _rests_on_estimates(hours: HoursComputation | None) -> bool:
    """A volume computed from unconfirmed parameters (procure's estimates) is no text ready to sign (review B6)."""
    return bool(hours and hours.source == "computed" and hours.unverified and not hours.below_minimum)


# ---------------------------------------------------------------- hours


# What the amount the hours start from is, as the first step of the computation says it.
AMOUNT_BASIS_FR = {
    None: "Montant estimé du lot",
    AmountKind.ESTIMATE.value: "Montant estimé du lot",
    AmountKind.MAXIMUM.value: "Montant maximum du lot",  # an accord-cadre's ceiling or a range's upper bound
    AmountKind.MINIMUM.value: "Montant minimum du lot",
    AmountKind.TOTAL.value: "Montant total du lot",
}
# The point to check when the hours rest on a bound of a framework agreement rather than on an estimate.
AMOUNT_BASIS_CHECK_FR = {
    AmountKind.MAXIMUM.value: "Taux calculé sur le montant maximum de l'accord-cadre : si le montant estimé des commandes "
                              "est connu, un volume fixe peut être calculé sur cette estimation.",
    AmountKind.MINIMUM.value: "Volume calculé sur le montant minimum de l'accord-cadre : les commandes pourront dépasser ce "
                              "montant ; prévoir un volume proportionné aux commandes.",
}


def _kind_value(kind: AmountKind | str | None) -> str | None:
    return getattr(kind, "value", kind)


def compute_hours(amount: Decimal, cpv: str | None, nature: str, on: date,
                  amount_kind: AmountKind | str | None = None) -> HoursComputation:
    """hours = amount HT × labour share × insertion rate ÷ average loaded hourly cost of the trade (dated parameters).
    `amount_kind`: what the amount is (estimate, maximum…), said in the first step."""
    share, family, share_unverified, share_param = law.labour_share(cpv, nature, on)
    rate, rate_label, rate_unverified, rate_param = law.insertion_rate(nature, on)
    cost_param = law.parameter("loaded_hourly_cost", on)
    cost = float(cost_param.value)
    labour_amount = amount * Decimal(str(share))
    insertion_amount = labour_amount * Decimal(str(rate))
    hours = int((insertion_amount / Decimal(str(cost))).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    kind = _kind_value(amount_kind)
    steps = [
        f"{AMOUNT_BASIS_FR.get(kind, AMOUNT_BASIS_FR[None])} : {format_euros(amount)} HT.",
        f"Part de main-d'œuvre ({family_fr(family)}) : {format_percent(share)} → {format_euros(labour_amount)}.",
        f"Taux d'insertion ({NATURE_FR[nature]}) : {format_percent(rate)}"
        + (f" ({rate_label}{f', {law.UNVERIFIED_FR}' if rate_unverified else ''})" if rate_label else "")
        + f" → {format_euros(insertion_amount)}.",
        f"Coût horaire moyen chargé du métier : {cost:g}\u00a0€/h → {format_euros(insertion_amount)} ÷ {cost:g}\u00a0€/h "
        f"= {format_int(hours)} heures.",
    ]
    unverified = share_unverified or rate_unverified or cost_param.unverified
    share_reference = share_param.reference + (f" ({law.UNVERIFIED_FR})" if share_unverified or share_param.unverified else "")
    rate_reference = rate_param.reference + (f" ({law.UNVERIFIED_FR})" if rate_unverified else "")
    references = [share_reference, rate_reference, cost_param.label_fr()]
    minimum = minimum_hours(on)
    below = minimum is not None and hours < minimum
    if below:
        steps.append(f"Volume inférieur à {format_int(minimum)} heures (environ une semaine de travail) : trop faible pour "
                     f"une clause d'insertion en heures ({law.UNVERIFIED_FR if law.parameter('insertion_minimum_hours', on).unverified else 'pratique des facilitateurs'}).")
    result = HoursComputation(amount, share, family, rate, cost, hours, steps, unverified, references,
                              amount_kind=kind, below_minimum=below)
    if kind == AmountKind.MAXIMUM.value:
        _as_rate_per_invoiced_euros(result)
    return result


def _as_rate_per_invoiced_euros(hours: HoursComputation) -> None:
    """A framework agreement's maximum is no volume owed: the hours become a rate per euro invoiced (as in a real
    State framework CCAP: « 1 heure par tranche de 2 000 € HT facturés »), the maximum's figure only a ceiling."""
    per_hour = Decimal(str(hours.hourly_cost)) / (Decimal(str(hours.labour_share)) * Decimal(str(hours.rate)))
    hours.euros_per_hour = (per_hour / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 100  # a round tranche
    hours.per = "invoiced"
    hours.steps.append(f"Accord-cadre : le montant maximum n'est pas un volume de commandes garanti. Volume exprimé en "
                       f"taux : 1 heure d'insertion par tranche de {format_euros(hours.euros_per_hour)} HT facturés "
                       f"({format_int(hours.hours)} heures au plus si le maximum est atteint, plafond et non minimum dû). "
                       "Autres formes possibles : un volume calculé sur le montant estimé des commandes ou sur le "
                       "minimum, ou une ligne du bordereau des prix.")


def family_fr(label: str) -> str:
    """A labour family as a sentence can hold it in brackets: « Services (autres) » → « autres services »."""
    match = re.fullmatch(r"(\w+) \(autres\)", label)
    return f"autres {match.group(1).lower()}" if match else label


def minimum_hours(on: date) -> int | None:
    """The volume under which an insertion clause by hours makes little sense (clauses/: insertion_minimum_hours);
    None when the clause library has no such parameter."""
    try:
        return int(law.parameter("insertion_minimum_hours", on).value["hours"])
    except (KeyError, LookupError):
        return None


def tender_hours(provision: SocialProvision, duration_months: int | None, computed: HoursComputation | None) -> HoursComputation:
    """The hours the tender already requires, as the suggestion's volume: per-year hours × years = total."""
    where = where_fr(provision.evidence)
    per = provision.hours_per or "total"
    steps = []
    if per == "year" and duration_months:
        years = Decimal(str(duration_months)) / 12
        total = int((provision.hours * years).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        steps.append(f"Volume fixé par le dossier : {format_int(provision.hours)} heures par année d'exécution ({where}).")
        steps.append(f"Durée d'exécution : {format_months(duration_months)} → {format_int(provision.hours)} heures × "
                     f"{format_quantity(years, 2)} {'ans' if years >= 2 else 'an'} = {format_int(total)} heures.")
        hours, per = total, "total"
    else:
        hours = provision.hours
        label = "heures par année d'exécution (durée inconnue : total non calculable)" if per == "year" else "heures"
        steps.append(f"Volume fixé par le dossier : {format_int(hours)} {label} ({where}).")
        if provision.hours_per is None:
            steps.append(f"Le dossier ne précise pas s'il s'agit d'un total ou d'un volume annuel : total supposé ({law.UNVERIFIED_FR}).")
    steps.append("Volume repris tel quel : procure ne propose jamais moins d'heures que le dossier.")
    return HoursComputation(computed.amount_ht if computed else None, computed.labour_share if computed else None,
                            computed.labour_family if computed else None, computed.rate if computed else None,
                            computed.hourly_cost if computed else None, hours, steps, False, [], "tender", per,
                            computed.hours if computed else None)


def _on_estimate(c: _LotContext) -> HoursComputation | None:
    """A framework agreement printing both its maximum and an estimate of the orders: the volume owed is computed
    on the estimate, the maximum being only a ceiling (law review: 22 882 h on a 68.6 M€ maximum, 27.5 M€ estimated)."""
    amount = c.lot.estimated_amount.value if c.lot.estimated_amount else None
    if amount is None or _kind_value(amount.kind) != AmountKind.MAXIMUM.value or not getattr(amount, "estimate", None):
        return None
    estimate, _ = amount_ht(Amount(amount.estimate, amount.tax, AmountKind.ESTIMATE))
    hours = compute_hours(estimate, c.cpv, c.nature, c.on, AmountKind.ESTIMATE)
    hours.steps.append(f"Montant maximum de l'accord-cadre ({format_euros(c.amount)} HT) : un plafond, pas un volume "
                       "de commandes garanti ; le volume dû est calculé sur le montant estimé des commandes.")
    return hours


def _hours_for(c: _LotContext) -> tuple[HoursComputation | None, list[str]]:
    kind = c.lot.estimated_amount.value.kind if c.lot.estimated_amount else None
    computed = _on_estimate(c) or (compute_hours(c.amount, c.cpv, c.nature, c.on, kind) if c.amount else None)
    existing = c.existing.get(ProvisionKind.INSERTION_CLAUSE)
    if existing and existing.hours:
        duration = c.lot.duration_months.value if c.lot.duration_months else None
        hours = tender_hours(existing, duration, computed)
        reasons = [f"Volume repris du dossier : {hours.volume_fr()} (jamais moins que ce que le dossier exige)."]
        if existing.lot is None and len(c.tender.lots) > 1:
            reasons.append("Ce volume est fixé pour l'ensemble du marché, pas pour ce seul lot.")
        if computed and hours.per == "total":
            comparison = "inférieur" if computed.hours < hours.hours else "supérieur" if computed.hours > hours.hours else "égal"
            reasons.append(f"Pour comparaison, le calcul usuel donne {format_int(computed.hours)} heures, {comparison} au volume du dossier"
                           + (" : l'acheteur peut le relever." if comparison == "supérieur" else "."))
        return hours, reasons
    if computed and computed.below_minimum:
        return computed, [f"Le calcul usuel ne donne que {format_int(computed.hours)} heures d'insertion (détail ci-dessous), "
                          f"moins que les {format_int(minimum_hours(c.on))} heures (une semaine de travail) en dessous desquelles "
                          "une clause en heures n'a guère de sens : le lot est trop petit pour une clause d'insertion en "
                          "heures. Autres manières : une condition sociale sans heures (apprentissage, stages, sous-traitance "
                          "à une SIAE, une EA ou un ESAT, égalité et non-discrimination), la mutualisation des heures "
                          "entre lots, ou réserver le lot à des structures d'insertion ou à des entreprises adaptées."]
    if computed and computed.per == "invoiced":
        return computed, [f"Volume proposé : {computed.volume_fr()} (accord-cadre : taux sur les commandes, calcul détaillé "
                          "ci-dessous)."]
    if computed:
        return computed, [f"Volume proposé : {format_int(computed.hours)} heures d'insertion (calcul détaillé ci-dessous)."]
    return None, ["Montant du lot inconnu : le volume d'heures reste à calculer."]


# ---------------------------------------------------------------- builders


def _insertion_clause(c: _LotContext) -> Suggestion | None:
    share, family, intensive = c.labour()
    threshold = float(law.parameter("labour_intensive_share", c.on).value)
    reasons = [c.cpv_reason(), f"Part de main-d'œuvre estimée : {format_percent(share)} ({family})."]
    score = 0.4 + 0.6 * min(share / 0.7, 1.0) if intensive else 0.25 * share / threshold
    if c.qualified() and not intensive:
        # Intellectual services (IT outsourcing, helpdesk, engineering): staff is most of the price, qualified. The
        # clause stays possible whatever the family's estimated share (an IT outsourcing contract once got no clause
        # because IT was estimated at 20 %, while IT lots whose RC already had one showed it).
        score = max(score, QUALIFIED_SCORE)
    chosen, why = c.obligation_lever()
    mandatory = chosen == "insertion_clause"
    if mandatory:
        reasons.append(_mandatory_reason(c) + " Manière de la satisfaire : " + why)
        score = 1.0
    elif c.qualified() and not intensive:  # the mandatory reason says it otherwise
        reasons.append(f"Prestations intellectuelles ({family}) : le personnel fait l'essentiel du prix mais il est "
                       "qualifié ; une clause d'insertion reste possible sur les fonctions d'assistance et de support "
                       "(assistance aux utilisateurs, techniciens de proximité), par l'apprentissage ou l'alternance : "
                       "volume à fixer avec le facilitateur.")
    hours, hour_reasons = _hours_for(c)
    reasons += hour_reasons
    too_small = hours is not None and hours.source == "computed" and hours.below_minimum
    if too_small and not mandatory:
        score = min(score, 0.3)  # a clause of a few hours is no recommendation
    if score < 0.3 and not mandatory and ProvisionKind.INSERTION_CLAUSE not in c.existing:
        return None
    values = {"volume_phrase": hours.volume_phrase_fr()} if hours and not too_small else {}
    return _make(c, "insertion_clause", score, reasons, values, hours, mandatory)


def _mandatory_reason(c: _LotContext) -> str:
    check = c.check
    start = f"lancé à partir du {check.entry_into_force:%d/%m/%Y}"
    value = _value_fr(check)
    if check.applies:
        t = check.threshold or max(check.thresholds, key=lambda t: t.value)
        return (f"Marché d'un {_value_label_fr(check)} de {value}, au moins égal au seuil européen de "
                f"{format_euros(t.value)} HT, {start} : une considération sociale ou relative à l'emploi parmi les "
                f"conditions d'exécution est obligatoire ({OBLIGATION_ARTICLE}).")
    if check.contract_value is None or check.lots_without_amount:
        return (f"Marché {start}, {value} : obligation {OBLIGATION_ARTICLE} {check.undetermined_fr} ; elle "
                "s'applique si l'ensemble des lots atteint le seuil européen — " + thresholds_fr(check.thresholds) + ".")
    return (f"Marché d'un {_value_label_fr(check)} de {value}, {start} : la condition sociale est obligatoire "
            f"({OBLIGATION_ARTICLE}) si l'acheteur relève d'une catégorie dont le seuil est atteint — "
            + thresholds_fr(check.thresholds) + ".")


def _value_label_fr(check: ObligationCheck) -> str:
    """« montant estimé », or « montant maximum (R2121-8) » when a framework's maximum is summed (review C3)."""
    return "montant maximum (R2121-8)" if check.value_is_maximum else "montant estimé"


def _value_fr(check: ObligationCheck) -> str:
    """« 395 000,00 € HT », « au moins 200 000,00 € HT (montant du lot 2 inconnu) » or « montant inconnu »."""
    if check.contract_value is None:
        return "montant inconnu"
    if check.lots_without_amount:
        lots = ", ".join(map(str, check.lots_without_amount))
        return f"au moins {format_euros(check.contract_value)} HT (montant du lot {lots} inconnu)"
    return f"{format_euros(check.contract_value)} HT"


def _applies(c: _LotContext, lever_id: str) -> bool:
    """The lot's CPV is in the lever's family, or the tender already uses the lever."""
    kind = ProvisionKind(law.lever(lever_id).provision_kind)
    return law.cpv_in_family(c.cpv, lever_id, c.on) or kind in c.existing


def _reserved(lever_id: str, score: float, why: str):
    def build(c: _LotContext) -> Suggestion | None:
        if not _applies(c, lever_id):
            return None
        reasons = [c.cpv_reason(), why]
        adjusted = score
        if c.amount and c.amount > Decimal(1_000_000):
            adjusted -= 0.2
            reasons.append("Montant élevé : vérifier la capacité des structures locales (sourcing) ou allotir davantage.")
        if c.check.applies is not False and law.lever(lever_id).obligation:
            reasons.append(f"Peut contribuer à l'obligation {OBLIGATION_ARTICLE}, sous réserve ({law.UNVERIFIED_FR}) : "
                           "une réservation n'est pas une condition d'exécution ; prévoir aussi une condition sociale "
                           "(clause d'insertion ou condition sans heures).")
        share = law.parameter("reserved_minimum_share", c.on)
        return _make(c, lever_id, adjusted, reasons, {"part_minimale": format_percent(share.value)})

    return build


def _reserved_ess(c: _LotContext) -> Suggestion | None:
    """L2113-15: only the health, social and cultural services of the list, for 3 years at most."""
    if not _applies(c, "reserved_ess"):
        return None
    family = law.lever("reserved_ess").cpv_family_at(c.on)
    reasons = [c.cpv_reason(), "Service de santé, social ou culturel de la liste ouvrant la réservation aux entreprises "
               f"de l'ESS (L2113-15). {law.sources_fr(family) if family else ''}".strip(),
               "Durée du marché limitée à trois ans ; pas de nouvelle attribution sur ce fondement au même opérateur "
               "pendant trois ans."]
    duration = c.lot.duration_months.value if c.lot.duration_months else None
    if duration and duration > 36:
        reasons.append(f"Durée prévue de {format_months(duration)} : supérieure au maximum de trois ans, à réduire pour réserver le lot.")
    return _make(c, "reserved_ess", 0.5 if not (duration and duration > 36) else 0.3, reasons)


def _social_criterion(c: _LotContext) -> Suggestion | None:
    _, family, intensive = c.labour()
    if not intensive and ProvisionKind.SOCIAL_CRITERION not in c.existing:
        return None
    weight = law.parameter("social_criterion_weight", c.on)
    existing = c.existing.get(ProvisionKind.SOCIAL_CRITERION)
    reasons = [c.cpv_reason(), f"Marché exécutable en partie par des personnes en insertion ({family})."]
    if existing and existing.weight_percent is not None:
        found = format_percent(existing.weight_percent / 100)
        reasons.append(f"Pondération fixée par le dossier : {found} ({where_fr(existing.evidence)}) ; pour mémoire, "
                       f"la pratique courante retient {format_percent(weight.value)}. {weight.note} {law.sources_fr(weight)}")
        ponderation = found
    else:
        reasons.append(f"Pondération suggérée : {format_percent(weight.value)}. {weight.note} {law.sources_fr(weight)}".strip())
        ponderation = format_percent(weight.value)
    reasons.append("À combiner avec la clause d'insertion, qui fixe le volume d'heures dû : un critère d'attribution n'est "
                   f"pas une condition d'exécution et ne satisfait pas {OBLIGATION_ARTICLE}.")
    return _make(c, "social_criterion", 0.5, reasons, {"ponderation": ponderation})


def _supply_chain(lever_id: str, score: float, why: str):
    def build(c: _LotContext) -> Suggestion | None:
        if not _applies(c, lever_id):
            return None
        reasons = [c.cpv_reason(), why]
        chosen, because = c.obligation_lever()
        mandatory = chosen == lever_id
        if mandatory:
            reasons.append(_mandatory_reason(c) + " Manière de la satisfaire : " + because)
        return _make(c, lever_id, 1.0 if mandatory else score, reasons, mandatory=mandatory)

    return build


def _social_services_procedure(c: _LotContext) -> Suggestion | None:
    """R2123-1 3°: only for a CPV code of the list (annex XIV of directive 2014/24), declared by the tender — never
    on a predicted code, and never for temporary staffing (79620000), which the list leaves out."""
    lever = law.lever("social_services_procedure")
    present = ProvisionKind.SOCIAL_SERVICES_PROCEDURE in c.existing
    listed = bool(c.lot.cpv_codes) and law.cpv_in_family(c.cpv, lever.id, c.on)
    if not (listed or present):
        return None
    family = lever.cpv_family_at(c.on)
    flag = f" ({law.UNVERIFIED_FR})" if family and family.unverified else ""
    reasons = [c.cpv_reason()]
    if listed:
        reasons.append(f"Code CPV {c.cpv} inscrit sur la liste des services sociaux et autres services spécifiques "
                       f"(annexe XIV de la directive 2014/24/UE, reprise par l'avis annexé au CCP){flag} : procédure "
                       "adaptée possible quel que soit le montant (R2123-1 3°).")
    else:
        reasons.append(f"Le dossier invoque le régime des services sociaux et spécifiques, mais le code CPV {c.cpv or 'du lot'} "
                       "n'est pas sur la liste : au-delà du seuil européen des services, la procédure adaptée n'est "
                       "pas ouverte ; vérifiez l'objet du lot.")
    social = law.eu_threshold("local", "social_services", c.on)
    entity = law.eu_threshold("contracting_entity", "social_services", c.on)
    reasons.append(f"Seuil européen de ces services : {format_euros(social.value)} HT (pouvoirs adjudicateurs), "
                   f"{format_euros(entity.value)} HT (entités adjudicatrices){flag} ; la procédure adaptée ne dispense "
                   f"pas de la condition sociale {OBLIGATION_ARTICLE} lorsque le marché atteint ce seuil. "
                   + law.sources_fr(family or "", social.parameter, entity.parameter))
    suggestion = _make(c, lever.id, 0.6 if listed else 0.2, reasons, {"cpv": c.cpv or "[à compléter : code CPV]"})
    if suggestion and flag:
        suggestion.ready_to_sign = False  # the list is still to compare with the CCP's notice
    return suggestion


# Levers with logic of their own; any other lever of clauses/levers/ gets the generic builder (its CPV families).
BUILDERS = {
    "insertion_clause": _insertion_clause,
    "reserved_disability": _reserved("reserved_disability", 0.6,
                                     "Activité couramment exercée par des entreprises adaptées et des ESAT : le lot peut leur être réservé."),
    "reserved_siae": _reserved("reserved_siae", 0.55,
                               "Activité exercée par des structures d'insertion (EI, ACI, AI, ETTI) : réservation possible si l'offre locale suffit."),
    "reserved_ess": _reserved_ess,
    "social_criterion": _social_criterion,
    "ethical_purchasing": _supply_chain("ethical_purchasing", 0.7,
                                        "Fournitures à risque social dans la chaîne d'approvisionnement (textile, jouets, papeterie, informatique, denrées)."),
    "fair_trade": _supply_chain("fair_trade", 0.5, "Produits pour lesquels des filières de commerce équitable existent."),
    "social_services_procedure": _social_services_procedure,
}



def builder_for(lever_id: str):
    """The lever's own builder, else the generic one: adding a lever is one YAML file (plus logic if it needs some)."""
    if lever_id in BUILDERS:
        return BUILDERS[lever_id]
    family = law.lever(lever_id).cpv_family_at(date.max)
    why = f"Activité de la famille du levier ({family.reference})." if family else "Levier déjà utilisé par le dossier."
    return _supply_chain(lever_id, 0.5, why)


# ---------------------------------------------------------------- lot alerts


def _lot_alerts(c: _LotContext) -> list[Alert]:
    alerts = _obligation_alerts(c)
    clause = c.existing.get(ProvisionKind.INSERTION_CLAUSE)
    if clause and not clause.hours:
        alerts.append(Alert(c.lot.number, "clause_without_hours", _clause_without_hours_fr(c.tender, clause),
                            ["L2112-2"], [clause.evidence]))
    criterion = c.existing.get(ProvisionKind.SOCIAL_CRITERION)
    if criterion and criterion.weight_percent is None:
        alerts += _weighting_alert(c, criterion)
    return alerts


# A piece a passage refers to ("dans les conditions précisées à l'article 1.5.1 du CCAP"), by its document type.
PIECE_REFERENCE_RE = re.compile(
    r"(?:(?:à\s+l'|l')?articles?\s+[\w.-]+\s+(?:du|de\s+l'|de\s+la)\s+)?"
    r"(?:\b(?-i:(?P<code>CCAP|CCTP|CCP|RC|AE))\b|(?P<name>cahier\s+des\s+clauses\s+administratives\s+particulières|"
    r"cahier\s+des\s+clauses\s+techniques\s+particulières|règlement\s+de\s+(?:la\s+)?consultation|acte\s+d'engagement|"
    r"cahier\s+des\s+charges))",
    re.IGNORECASE)
CODE_ARTICLE_RE = re.compile(r"articles?\s+[LRD]\.?\s?\d{4}", re.IGNORECASE)
PIECE_NAMES = {"cahier des clauses administratives particulières": "CCAP",
               "cahier des clauses techniques particulières": "CCTP", "règlement de consultation": "RC",
               "règlement de la consultation": "RC", "acte d'engagement": "AE", "cahier des charges": "CDC"}
TO_PIECE_FR = {"CCAP": "au CCAP", "CCTP": "au CCTP", "CCP": "au CCP", "RC": "au règlement de la consultation",
               "AE": "à l'acte d'engagement", "CDC": "au cahier des charges"}


def referred_piece(passage: str, read: set[str]) -> tuple[str, str] | None:
    """The piece of the tender a passage sends the reader to, when that piece was not among those read:
    (document type, the words of the passage that name it)."""
    for match in PIECE_REFERENCE_RE.finditer(passage):
        piece = (match.group("code") or "").upper() or PIECE_NAMES.get(" ".join(match.group("name").lower().split()), "")
        if piece == "CCP" and CODE_ARTICLE_RE.search(match.group(0)):
            continue  # "article L2112-2 du CCP": the code of public procurement, not a piece
        if piece == "CDC" and read & {"CCAP", "CCTP"}:
            continue  # « cahier des charges »: the CCAP or CCTP, read
        if piece and piece not in read:
            return piece, " ".join(match.group(0).split())
    return None


def _clause_without_hours_fr(tender: Tender, clause: SocialProvision) -> str:
    """No hours in the pieces read: when the passage points to a piece that was not provided, the hours are most
    likely there; otherwise an uncalibrated clause cannot be enforced."""
    read = {doc.doc_type.upper() for doc in tender.documents}
    referred = referred_piece(clause.evidence.passage, read)
    if referred:
        piece, words = referred
        return (f"Clause d'insertion sans volume d'heures dans les pièces lues : le passage renvoie {TO_PIECE_FR[piece]} "
                f"(« {words} »), qui n'a pas été fourni. Le volume d'heures y figure probablement : vérifiez-le dans "
                "cette pièce ; sans volume chiffré, la clause ne pourrait pas être contrôlée.")
    return ("Clause d'insertion sans volume d'heures chiffré : sans volume, l'exécution ne peut pas être contrôlée ni "
            "sanctionnée ; le guide DAE juge une clause non calibrée « inopérante » (recommandation, non règle de droit).")


def _obligation_alerts(c: _LotContext) -> list[Alert]:
    if c.check.applies is False:
        return []
    ways = {lever.provision_kind: lever for lever in law.levers().values() if lever.obligation}
    present = [ways[kind.value] for kind in c.existing if kind.value in ways]
    if any(not lever.obligation.unverified for lever in present):
        return []
    if present:
        names = ", ".join(lever.label for lever in present)
        return [Alert(c.lot.number, "social_condition_to_confirm",
                      f"Le lot {c.lot.number} comporte {names} ; sa recevabilité comme considération sociale au titre de "
                      f"{OBLIGATION_ARTICLE} est {law.UNVERIFIED_FR}. " + _mandatory_reason(c), [OBLIGATION_ARTICLE],
                      c.base_evidence())]
    return [Alert(c.lot.number, "missing_social_condition",
                  f"Lot {c.lot.number} : aucune condition sociale détectée dans les pièces fournies. " + _mandatory_reason(c)
                  + " " + _missing_condition_check_fr(c.on), [OBLIGATION_ARTICLE], c.base_evidence())]


def _missing_condition_check_fr(on: date) -> str:
    """procure reads only the pieces given and does not see every social condition (an equality commitment, a
    working-conditions clause): the buyer checks them, and failing them, a recorded exception."""
    exceptions = law.parameter("social_execution_condition_exceptions", on)
    flag = f" ({law.UNVERIFIED_FR})" if exceptions.unverified else ""
    return ("Vérifiez les autres conditions d'exécution du CCAP et des pièces non fournies (égalité et "
            "non-discrimination, conditions de travail, apprentissage, recours à des structures d'insertion…) ; à "
            f"défaut, l'acheteur ne peut s'en dispenser que pour l'un des motifs d'exception{flag} — "
            + " ; ".join(exceptions.value) + " —, motif justifié et consigné par écrit. " + law.sources_fr(exceptions))


def _weighting_alert(c: _LotContext, criterion: SocialProvision) -> list[Alert]:
    """R2152-12: criteria are weighted in formal procedures; in MAPA only an information duty."""
    rule = law.parameter("criteria_weighting_required", c.on)
    procedure = c.tender.procedure.value.get("code") if c.tender.procedure and isinstance(c.tender.procedure.value, dict) else None
    if procedure is None:
        return [Alert(c.lot.number, "criterion_weight_to_check",
                      "Critère social sans pondération : en procédure formalisée, les critères doivent être pondérés "
                      f"(R2152-12) ; procédure non identifiée dans le dossier ({law.UNVERIFIED_FR}).", ["R2152-12"],
                      [criterion.evidence])]
    if procedure in rule.value:
        return [Alert(c.lot.number, "criterion_without_weight",
                      f"Critère social sans pondération en {FORMAL_PROCEDURES_FR} : les critères doivent être pondérés, ou "
                      "hiérarchisés si la pondération est objectivement impossible (R2152-12).", ["R2152-12"],
                      [criterion.evidence])]
    return []
