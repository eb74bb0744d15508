"""The L2112-2-1 obligation of a tender: its nature, its value, the buyer category, the European threshold at the
reference date, and its French explanation."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from procure import law
from procure.model import BUYER_CATEGORY_LABELS_FR, Amount, AmountKind, BuyerCategory, Fact, Lot, Tender
from procure.text.format_fr import format_euros
from procure.vocabulary import ContractNature, DateKey

VAT_RATE = Decimal("1.20")  # only to bring a TTC estimate back to HT; flagged to the user when used
OBLIGATION_ARTICLE = "L2112-2-1"
EARLIEST_RULES = "earliest_rules"
DATE_SOURCES_FR = {
    "given": "date fournie par l'utilisateur",
    DateKey.LAUNCH: "date de lancement de la consultation",
    DateKey.PUBLICATION: "date d'envoi de l'avis",
    DateKey.OFFERS_DEADLINE: "date limite de remise des offres, retenue à défaut de date de lancement",
    DateKey.PIECES: "date imprimée sur les pièces du dossier, retenue à défaut de date de lancement",
    "today": "date du jour, aucune date n'ayant été trouvée dans le dossier",
    # The tender is older than the first rules encoded: those rules are applied, and an alert gives the tender's date.
    EARLIEST_RULES: "première date des règles encodées, la consultation étant plus ancienne",
}
NATURE_FR: dict[str, str] = {nature: nature.label for nature in ContractNature}
CATEGORY_SOURCES_FR = {"extracted": "lue dans le dossier", "chosen": "choisie par l'utilisateur", "unknown": "inconnue"}
FORMAL_PROCEDURES_FR = "procédure formalisée"
DEFENCE_CPV_DIVISION = "35"  # security, fire-fighting, police and defence equipment: a hint, never a conclusion


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


def nature_of(cpv: str | None) -> str:
    if not cpv:
        return ContractNature.SERVICES
    division = int(cpv[:2])
    if division == 45:
        return ContractNature.WORKS
    return ContractNature.SUPPLIES if division < 45 or division == 48 else ContractNature.SERVICES


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
    for key in DateKey:
        if key in tender.dates:
            return tender.dates[key].value, key
    return today or date.today(), "today"


def _main_cpv(lot: Lot) -> str | None:
    """The declared CPV, else the group the model predicts (padded to 8 digits: prefix rules still apply)."""
    if lot.cpv_codes:
        return lot.cpv_codes[0].code
    if lot.predicted_cpv:
        return lot.predicted_cpv.value["group"].ljust(8, "0")
    return None


def lot_nature(cpv: str | None, on: date, stated: str | None = None) -> str:
    """works, supplies, services, or social_services (R2123-1 3° list in clauses/). `stated`: the lot's nature
    when known otherwise than by its code (`stated_nature`)."""
    nature = stated or nature_of(cpv)
    return ContractNature.SOCIAL_SERVICES if nature == ContractNature.SERVICES and law.is_social_service(cpv, on) else nature


def declared_nature(tender: Tender, lot: Lot) -> Fact | None:
    """The nature the notice or a piece declares for this lot, else for the whole tender (works, supplies,
    services): a CPV code alone misleads (air-conditioning works coded as the supply of the units)."""
    return lot.declared_nature or tender.declared_nature


def stated_nature(tender: Tender, lot: Lot, cpv: str | None) -> str:
    """The lot's nature: the one the dossier declares, else its CPV code's (works, supplies or services)."""
    declared = declared_nature(tender, lot)
    return declared.value if declared else nature_of(cpv)


def _lot_amount(lot: Lot) -> Decimal | None:
    return amount_ht(lot.estimated_amount.value)[0] if lot.estimated_amount else None


def _contract_value(tender: Tender) -> tuple[Decimal | None, list[int]]:
    """Estimated value of the whole contract: the sum of its lots (R2121-1), and the lots without an amount
    (when there are some, the sum is only a lower bound). The amount the dossier states for the whole tender
    (eForms BT-27/BT-271 of the procedure) stands when some lots have none or when it is larger than their sum."""
    amounts = {lot.number: _lot_amount(lot) for lot in tender.lots}
    known = [a for a in amounts.values() if a is not None]
    missing = [number for number, amount in amounts.items() if amount is None]
    whole = amount_ht(tender.estimated_amount.value)[0] if tender.estimated_amount else None
    total = sum(known, Decimal(0)) if known else None
    if whole is not None and (missing or total is None or whole > total):
        return whole, []
    return total, (missing if known else [])


def contract_nature(tender: Tender, on: date) -> tuple[str, str]:
    """Nature of the whole contract: the nature carrying the largest estimated value over all lots (mixed
    contracts), or the most frequent one when amounts are unknown. Returns (nature, French reason)."""
    by_nature: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for lot in tender.lots:
        cpv = _main_cpv(lot)
        nature = lot_nature(cpv, on, stated_nature(tender, lot, cpv))
        by_nature[nature] = by_nature.get(nature, Decimal(0)) + (_lot_amount(lot) or Decimal(0))
        counts[nature] = counts.get(nature, 0) + 1
    if not counts:
        return ContractNature.SERVICES, "aucun lot identifié : nature supposée « services » (à vérifier)"
    if len(counts) == 1:
        nature = next(iter(counts))
        said = " (nature déclarée par le dossier)" if any(declared_nature(tender, lot) for lot in tender.lots) else ""
        return nature, f"tous les lots relèvent des {NATURE_FR[nature]}{said}"
    if any(by_nature.values()):
        nature = max(by_nature, key=lambda n: (by_nature[n], n == ContractNature.WORKS))
        shares = ", ".join(f"{NATURE_FR[n]} {format_euros(v)}" for n, v in sorted(by_nature.items(), key=lambda i: -i[1]))
        return nature, (f"marché mixte, nature retenue d'après la part la plus élevée du montant estimé ({shares}) "
                        f"({law.UNVERIFIED_FR} : objet principal des marchés mixtes)")
    nature = max(counts, key=lambda n: (counts[n], n == ContractNature.WORKS))
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
    if nature == ContractNature.SOCIAL_SERVICES:
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
    stated = [lot.estimated_amount for lot in tender.lots] + [tender.estimated_amount]
    maximum = any(fact and _kind_value(fact.value.kind) == AmountKind.MAXIMUM.value for fact in stated)
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


CATEGORY_SHORT_FR = {BuyerCategory.CENTRAL: "État", BuyerCategory.LOCAL: "collectivités et autres pouvoirs adjudicateurs",
                     BuyerCategory.CONTRACTING_ENTITY: "entités adjudicatrices"}


def thresholds_fr(thresholds: list[law.Threshold]) -> str:
    flag = lambda t: f", {law.UNVERIFIED_FR}" if t.parameter.unverified else ""  # noqa: E731
    return " ; ".join(f"{format_euros(t.value)} HT ({CATEGORY_SHORT_FR[BuyerCategory(t.category)]}{flag(t)})" for t in thresholds)


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
    listed = f" ({law.UNVERIFIED_FR} : liste de l'annexe XIV)" if check.nature == ContractNature.SOCIAL_SERVICES else ""
    parts.append(f"Nature du marché dans son ensemble : {NATURE_FR[check.nature]}{listed} ({check.nature_reason}).")
    if check.category:
        t = check.thresholds[0]
        parts.append(f"Catégorie d'acheteur {CATEGORY_SOURCES_FR[check.category_source]} : "
                     f"{BUYER_CATEGORY_LABELS_FR[BuyerCategory(check.category)]} ; seuil européen applicable : "
                     f"{format_euros(t.value)} HT" + (f" ({law.UNVERIFIED_FR})." if t.parameter.unverified else "."))
    else:
        parts.append("Catégorie d'acheteur inconnue : seuils de chaque catégorie — " + thresholds_fr(check.thresholds) + ".")
    sources += [t.parameter for t in check.thresholds]
    if check.category == BuyerCategory.CENTRAL and check.nature == ContractNature.SUPPLIES:  # law review A4
        local = law.eu_threshold(BuyerCategory.LOCAL, ContractNature.SUPPLIES, on)
        parts.append("Pour les ministères de la défense, les fournitures non listées à l'annexe III de la directive "
                     f"2014/24/UE relèvent du seuil de {format_euros(local.value)} HT ({law.UNVERIFIED_FR}).")
    if check.nature == ContractNature.SOCIAL_SERVICES:
        general = law.eu_threshold(check.category or BuyerCategory.LOCAL, ContractNature.SERVICES, on)
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


def _kind_value(kind: AmountKind | str | None) -> str | None:
    return getattr(kind, "value", kind)


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
