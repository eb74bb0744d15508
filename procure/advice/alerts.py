"""Compliance alerts: those of the tender (dates, obligation, environmental obligations) and those of each lot."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from procure import law
from procure.advice.levers import _LotContext, _mandatory_reason
from procure.advice.obligation import (
    DATE_SOURCES_FR,
    DEFENCE_CPV_DIVISION,
    FORMAL_PROCEDURES_FR,
    OBLIGATION_ARTICLE,
    ObligationCheck,
    _main_cpv,
    thresholds_fr,
)
from procure.model import Evidence, ProvisionKind, SocialProvision, Tender
from procure.text.format_fr import format_euros
from procure.vocabulary import DateKey, DocumentRole


@dataclass
class Alert:
    lot: int | None
    code: str  # missing_social_condition, clause_without_hours, criterion_without_weight, date_uncertain…
    message: str
    legal_basis: list[str]
    evidence: list[Evidence] = field(default_factory=list)


def _tender_alerts(tender: Tender, source: str, ref: date, check: ObligationCheck) -> list[Alert]:
    alerts = []
    if source in (DateKey.OFFERS_DEADLINE, DateKey.PIECES, "today"):
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
    if check.in_force and not check.excluded:  # the amount only matters for an obligation that can apply
        alerts += _unknown_value_alerts(tender, check)
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


GROUPED_LOTS = 3  # above this many lots without an amount, one alert names them all


def _unknown_value_alerts(tender: Tender, check: ObligationCheck) -> list[Alert]:
    """No amount, or lots without one, while L2112-2-1 is in force: the threshold cannot be compared."""
    alerts = []
    if check.contract_value is None:
        alerts.append(Alert(None, "value_unknown", "Montant estimé inconnu : la comparaison aux seuils européens n'a pas "
                            f"pu être faite ; l'obligation {OBLIGATION_ARTICLE} est indéterminée.", [OBLIGATION_ARTICLE]))
    if len(check.lots_without_amount) > GROUPED_LOTS:  # one line, not one per lot, for a notice of 20 lots
        numbers = ", ".join(map(str, check.lots_without_amount))
        alerts.append(Alert(None, "lot_amount_unknown",
                            f"Montant inconnu pour {len(check.lots_without_amount)} lots ({numbers}) : "
                            + _partial_value_fr(check, "sans eux", "leurs montants"), ["R2121-1", OBLIGATION_ARTICLE]))
        return alerts
    for number in check.lots_without_amount:
        lot = next(lot for lot in tender.lots if lot.number == number)
        title = f" ({lot.title.value})" if lot.title and lot.title.value else ""
        alerts.append(Alert(number, "lot_amount_unknown", f"Montant du lot {number}{title} inconnu : "
                            + _partial_value_fr(check, "sans ce lot", "le montant de ce lot"),
                            ["R2121-1", OBLIGATION_ARTICLE], [lot.title.evidence] if lot.title and lot.title.evidence else []))
    return alerts


def _partial_value_fr(check: ObligationCheck, without: str, to_give: str) -> str:
    return (f"la valeur du marché est partielle ({format_euros(check.contract_value)} HT {without}) alors que tous les "
            f"lots comptent (R2121-1). L'obligation {OBLIGATION_ARTICLE} "
            + ("s'applique déjà." if check.applies else f"reste indéterminée : précisez {to_give}."))


# A piece a passage refers to ("dans les conditions précisées à l'article 1.5.1 du CCAP"), by its document type.
PIECE_REFERENCE_RE = re.compile(
    r"(?:(?:à\s+l'|l')?articles?\s+[\w.-]+\s+(?:du|de\s+l'|de\s+la)\s+)?"
    r"(?:\b(?-i:(?P<code>CCAP|CCTP|CCP|RC|AE))\b|(?P<name>cahier\s+des\s+clauses\s+administratives\s+particulières|"
    r"cahier\s+des\s+clauses\s+techniques\s+particulières|règlement\s+de\s+(?:la\s+)?consultation|acte\s+d'engagement|"
    r"cahier\s+des\s+charges))",
    re.IGNORECASE)
CODE_ARTICLE_RE = re.compile(r"articles?\s+[LRD]\.?\s?\d{4}", re.IGNORECASE)
_R = DocumentRole
CDC = "CDC"  # a "cahier des charges" a passage refers to: the CCAP or the CCTP, not a role of its own
PIECE_NAMES = {"cahier des clauses administratives particulières": _R.CCAP,
               "cahier des clauses techniques particulières": _R.CCTP, "règlement de consultation": _R.RC,
               "règlement de la consultation": _R.RC, "acte d'engagement": _R.AE, "cahier des charges": CDC}
TO_PIECE_FR = {_R.CCAP: "au CCAP", _R.CCTP: "au CCTP", _R.CCP: "au CCP", _R.RC: "au règlement de la consultation",
               _R.AE: "à l'acte d'engagement", CDC: "au cahier des charges"}
del _R


def referred_piece(passage: str, read: set[str]) -> tuple[str, str] | None:
    """The piece of the tender a passage sends the reader to, when that piece was not among those read:
    (document type, the words of the passage that name it)."""
    for match in PIECE_REFERENCE_RE.finditer(passage):
        piece = (match.group("code") or "").upper() or PIECE_NAMES.get(" ".join(match.group("name").lower().split()), "")
        if piece == DocumentRole.CCP and CODE_ARTICLE_RE.search(match.group(0)):
            continue  # "article L2112-2 du CCP": the code of public procurement, not a piece
        if piece == CDC and read & {DocumentRole.CCAP, DocumentRole.CCTP}:
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
    if not read & HOURS_PIECES:
        return ("Clause d'insertion sans volume d'heures dans les pièces lues (" + _pieces_read_fr(tender) + ") : le "
                "volume figure d'ordinaire au CCAP (ou au CCP), qui n'a pas été fourni : vérifiez-le dans cette pièce ; "
                "sans volume chiffré, la clause ne pourrait pas être contrôlée.")
    return ("Clause d'insertion sans volume d'heures chiffré : sans volume, l'exécution ne peut pas être contrôlée ni "
            "sanctionnée ; le guide DAE juge une clause non calibrée « inopérante » (recommandation, non règle de droit).")


# The pieces that carry an insertion clause's volume: without one of them, a missing volume proves nothing.
HOURS_PIECES = {DocumentRole.CCAP, DocumentRole.CCP, DocumentRole.AE, DocumentRole.CONTRAT}


def _pieces_read_fr(tender: Tender) -> str:
    roles = sorted({doc.doc_type.upper() for doc in tender.documents})
    return ", ".join(DocumentRole(role).label if role in DocumentRole._value2member_map_ else role for role in roles)


def _obligation_alerts(c: _LotContext) -> list[Alert]:
    if c.check.applies is False:
        return []
    ways = {lever.provision_kind: lever for lever in law.levers().values() if lever.obligation}
    present = [ways[kind.value] for kind in c.existing if kind.value in ways]
    if any(lever.obligation is not None and not lever.obligation.unverified for lever in present):
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
