"""Insertion hours: the formula (amount × labour share × insertion rate ÷ loaded hourly cost), its steps in French,
and the hours a tender already requires."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from procure import law
from procure.advice.obligation import NATURE_FR, _kind_value
from procure.model import AmountKind, SocialProvision, format_percent
from procure.text.format_fr import format_euros, format_int, format_months, format_quantity, where_fr
from procure.vocabulary import HoursPer


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
    per: str = HoursPer.TOTAL  # a HoursPer, or "invoiced" (hours per euros invoiced); "year" when the tender gives
    # hours per year and the duration is unknown
    computed_hours: int | None = None  # the formula's figure, for comparison when the tender fixes the volume
    amount_kind: str | None = None  # AmountKind value of the amount the formula started from (None: not said)
    # The formula's volume is under the minimum meaningful volume (insertion_minimum_hours): not proposed.
    below_minimum: bool = False
    euros_per_hour: Decimal | None = None  # per == "invoiced": 1 hour per this many euros HT invoiced

    def volume_fr(self) -> str:
        if self.per == "invoiced":
            return f"1 heure par tranche de {format_euros(self.euros_per_hour)} HT facturés"
        per = " par année d'exécution" if self.per == HoursPer.YEAR else ""
        return f"{format_int(self.hours)} heures{per}"

    def volume_phrase_fr(self) -> str:
        """The « Volume : … » sentence of the clause."""
        if self.per == "invoiced":
            return (f"le titulaire réalise 1 heure de travail d'insertion par tranche de {format_euros(self.euros_per_hour)} "
                    "HT facturés au titre du marché (bons de commande ou marchés subséquents), selon la méthode annexée ; "
                    f"à titre indicatif, {format_int(self.hours)} heures au plus si le montant maximum est atteint, ce "
                    "plafond n'étant pas un minimum dû.")
        return f"le titulaire réalise au minimum {self.volume_fr()} de travail d'insertion, calculées selon la méthode annexée."


HOURS_FACTORS_FR = ("part de main-d'œuvre", "taux d'insertion", "coût horaire moyen")  # order of references


def _hours_parameters_check(hours: HoursComputation) -> str:
    """« Paramètres du calcul d'heures (à vérifier) : part de main-d'œuvre, coût horaire moyen, à confirmer avec le
    facilitateur. Sources : … »: which factors are unconfirmed, then the sources, not piled into the sentence."""
    flag = f" ({law.UNVERIFIED_FR})"
    unconfirmed = [factor for factor, reference in zip(HOURS_FACTORS_FR, hours.references) if reference.endswith(flag)]
    sources = law.sources_fr(*(reference.removesuffix(flag) for reference in hours.references))
    return (f"Paramètres du calcul d'heures{flag} : {', '.join(unconfirmed) or 'tous'}, à confirmer avec le facilitateur. "
            + sources).strip()


def _rests_on_estimates(hours: HoursComputation | None) -> bool:
    """A volume computed from unconfirmed parameters (procure's estimates) is no text ready to sign (review B6)."""
    return bool(hours and hours.source == "computed" and hours.unverified and not hours.below_minimum)


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
    if provision.hours is None:
        raise ValueError("tender_hours: the provision states no hours")
    stated = provision.hours
    where = where_fr(provision.evidence)
    per = provision.hours_per or HoursPer.TOTAL
    steps = []
    if per == HoursPer.YEAR and duration_months:
        years = Decimal(str(duration_months)) / 12
        total = int((stated * years).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        steps.append(f"Volume fixé par le dossier : {format_int(stated)} heures par année d'exécution ({where}).")
        steps.append(f"Durée d'exécution : {format_months(duration_months)} → {format_int(stated)} heures × "
                     f"{format_quantity(years, 2)} {'ans' if years >= 2 else 'an'} = {format_int(total)} heures.")
        hours, per = total, HoursPer.TOTAL
    else:
        hours = stated
        label = "heures par année d'exécution (durée inconnue : total non calculable)" if per == HoursPer.YEAR else "heures"
        steps.append(f"Volume fixé par le dossier : {format_int(hours)} {label} ({where}).")
        if provision.hours_per is None:
            steps.append(f"Le dossier ne précise pas s'il s'agit d'un total ou d'un volume annuel : total supposé ({law.UNVERIFIED_FR}).")
    steps.append("Volume repris tel quel : procure ne propose jamais moins d'heures que le dossier.")
    return HoursComputation(computed.amount_ht if computed else None, computed.labour_share if computed else None,
                            computed.labour_family if computed else None, computed.rate if computed else None,
                            computed.hourly_cost if computed else None, hours, steps, False, [], "tender", per,
                            computed.hours if computed else None)
