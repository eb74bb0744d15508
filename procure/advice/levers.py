"""One builder per lever: whether it fits a lot, its score, its reasons, its evidence and its clause (`BUILDERS`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from procure import law
from procure.advice.hours import (
    AMOUNT_BASIS_CHECK_FR,
    HoursComputation,
    _hours_parameters_check,
    _rests_on_estimates,
    compute_hours,
    family_fr,
    minimum_hours,
    tender_hours,
)
from procure.advice.obligation import (
    NATURE_FR,
    OBLIGATION_ARTICLE,
    ObligationCheck,
    _kind_value,
    _value_fr,
    _value_label_fr,
    amount_ht,
    declared_nature,
    nature_of,
    thresholds_fr,
)
from procure.model import (
    Amount,
    AmountKind,
    Evidence,
    Lot,
    ProvisionKind,
    SocialProvision,
    Tender,
    format_percent,
)
from procure.text.format_fr import format_euros, format_int, format_months, where_fr
from procure.vocabulary import BuyerCategory, ContractNature, HoursPer, SuggestionStatus

QUALIFIED_SCORE = 0.5  # relevance of the insertion clause for intellectual services, whatever their labour share


@dataclass
class Suggestion:
    lever_id: str
    title: str
    lot: int
    score: float
    status: SuggestionStatus  # recommended, possible or present (its French label: .label)
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
        share, family, _, _ = law.labour_share(self.labour_cpv(), self.nature, self.on)
        intensive = share >= float(law.parameter("labour_intensive_share", self.on).value) and not self.qualified()
        return share, family_fr(family), intensive

    def qualified(self) -> bool:
        return law.qualified_trade(self.labour_cpv(), self.on)

    def labour_cpv(self) -> str | None:
        """The code the labour share is read from: none when the dossier declares another nature than the code's
        (works coded as the supply of their equipment take the labour share of works, not of the equipment)."""
        return self.cpv if not self.cpv or nature_of(self.cpv) == self.nature else None

    def declared_against_code(self) -> bool:
        return bool(self.cpv) and declared_nature(self.tender, self.lot) is not None and self.labour_cpv() is None

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
        if not self.lot.cpv_codes and self.lot.predicted_cpv is not None:
            predicted = self.lot.predicted_cpv.value
            return (f"CPV absent du dossier : groupe {predicted['group']} prédit par le modèle (probabilité "
                    f"{format_percent(predicted['group_probability'])}), marché de {NATURE_FR[self.nature]} — à confirmer.")
        label = self.lot.cpv_codes[0].label
        if self.declared_against_code():
            return (f"CPV {self.cpv}{f' ({label})' if label else ''} : code de {NATURE_FR[nature_of(self.cpv)]}, mais le "
                    f"dossier déclare un marché de {NATURE_FR[self.nature]} : nature déclarée retenue.")
        return f"CPV {self.cpv}{f' ({label})' if label else ''} : marché de {NATURE_FR[self.nature]}."

    def values(self, **extra) -> dict:
        title = self.lot.title.value if self.lot.title else f"lot {self.lot.number}"
        return {"lot_numero": self.lot.number, "lot_intitule": title, **extra}


def _ways_to_comply_fr(c: _LotContext) -> list[str]:
    """Every lever that can meet L2112-2-1, in the order of clauses/ (insertion first), the fitting one marked."""
    chosen, why = c.obligation_lever()
    ways = [(lever, lever.obligation) for lever in law.levers().values()
            if lever.obligation and lever.in_force(c.on) and _relevant_way(c, lever)]
    ways.sort(key=lambda way: (way[1].rank, way[0].id))
    lines = []
    for lever, obligation in ways:
        flag = f" ({law.UNVERIFIED_FR})" if obligation.unverified else ""
        mark = " — retenue pour ce lot : " + why if lever.id == chosen else ""
        lines.append(f"{lever.title}{flag} : {obligation.why}{mark}")
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
    hours = c.lot.estimated_amount and c.amount and compute_hours(c.amount, c.labour_cpv(), c.nature, c.on)
    fits = c.qualified() or bool(hours and hours.below_minimum)
    why = " — adaptée à ce lot, trop " + ("qualifié" if c.qualified() else "petit") + " pour des heures" if fits else ""
    lines = []
    for way in param.value:
        flag = f" ({law.UNVERIFIED_FR})" if way.get("unverified") else ""
        lines.append(f"Condition sociale sans heures — {way['label']}{flag} : {way['conditions']}{why}")
    lines.append("À défaut de toute condition sociale : l'un des motifs d'exception, justifié et consigné par écrit "
                 f"({law.UNVERIFIED_FR}). " + law.sources_fr(param))
    return lines


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
    status = (SuggestionStatus.PRESENT if existing else
              SuggestionStatus.RECOMMENDED if mandatory or score >= 0.7 else SuggestionStatus.POSSIBLE)
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


def _on_estimate(c: _LotContext) -> HoursComputation | None:
    """A framework agreement printing both its maximum and an estimate of the orders: the volume owed is computed
    on the estimate, the maximum being only a ceiling (law review: 22 882 h on a 68.6 M€ maximum, 27.5 M€ estimated)."""
    amount = c.lot.estimated_amount.value if c.lot.estimated_amount else None
    if amount is None or _kind_value(amount.kind) != AmountKind.MAXIMUM.value or not amount.estimate:
        return None
    estimate, _ = amount_ht(Amount(amount.estimate, amount.tax, AmountKind.ESTIMATE))
    if estimate is None:
        return None
    hours = compute_hours(estimate, c.labour_cpv(), c.nature, c.on, AmountKind.ESTIMATE)
    hours.steps.append(f"Montant maximum de l'accord-cadre ({format_euros(c.amount)} HT) : un plafond, pas un volume "
                       "de commandes garanti ; le volume dû est calculé sur le montant estimé des commandes.")
    return hours


def _hours_for(c: _LotContext, label: str = "Volume proposé") -> tuple[HoursComputation | None, list[str]]:
    kind = c.lot.estimated_amount.value.kind if c.lot.estimated_amount else None
    computed = _on_estimate(c) or (compute_hours(c.amount, c.labour_cpv(), c.nature, c.on, kind) if c.amount else None)
    existing = c.existing.get(ProvisionKind.INSERTION_CLAUSE)
    if existing and existing.hours:
        duration = c.lot.duration_months.value if c.lot.duration_months else None
        hours = tender_hours(existing, duration, computed)
        reasons = [f"Volume repris du dossier : {hours.volume_fr()} (jamais moins que ce que le dossier exige)."]
        if existing.lot is None and len(c.tender.lots) > 1:
            reasons.append("Ce volume est fixé pour l'ensemble du marché, pas pour ce seul lot.")
        if computed and hours.per == HoursPer.TOTAL:
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
        return computed, [f"{label} : {computed.volume_fr()} (accord-cadre : taux sur les commandes, calcul détaillé "
                          "ci-dessous)."]
    if computed:
        return computed, [f"{label} : {format_int(computed.hours)} heures d'insertion (calcul détaillé ci-dessous)."]
    return None, ["Montant du lot inconnu : le volume d'heures reste à calculer."]


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
                       "(assistance aux utilisateurs, techniciens de proximité), par l'apprentissage ou l'alternance ; "
                       "le volume calculé sur l'ensemble du marché n'est qu'un plafond indicatif, à ramener à ces "
                       "fonctions avec le facilitateur.")
    hours, hour_reasons = _hours_for(c, "Volume indicatif" if c.qualified() and not intensive and not mandatory
                                     else "Volume proposé")
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


def _formal_procedure_fr(c: _LotContext) -> str | None:
    """The procedure the tender states when it is not an adapted one (« Appel d'offres ouvert »), else None."""
    fact = c.tender.procedure
    if fact is None or not isinstance(fact.value, dict) or fact.value.get("code") in (None, "MAPA"):
        return None
    return fact.value.get("label") or fact.value.get("code")


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
    formal = _formal_procedure_fr(c) if present else None
    if formal:
        reasons.append(f"Le dossier relève du régime des services sociaux et spécifiques, mais la procédure retenue est "
                       f"« {formal} » : la procédure adaptée (R2123-1 3°) n'a pas été choisie ; elle reste possible.")
    social = law.eu_threshold(BuyerCategory.LOCAL, ContractNature.SOCIAL_SERVICES, c.on)
    entity = law.eu_threshold(BuyerCategory.CONTRACTING_ENTITY, ContractNature.SOCIAL_SERVICES, c.on)
    still_owed = (f" ; la procédure adaptée ne dispense pas de la condition sociale {OBLIGATION_ARTICLE} lorsque le "
                  "marché atteint ce seuil") if c.check.in_force else ""  # before its entry into force there is none to owe
    reasons.append(f"Seuil européen de ces services : {format_euros(social.value)} HT (pouvoirs adjudicateurs), "
                   f"{format_euros(entity.value)} HT (entités adjudicatrices){flag}{still_owed}. "
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
