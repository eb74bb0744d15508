"""Award notices: a contract already awarded must not pass for an open consultation.

The clauses procure proposes cannot be added to a contract that is signed; they serve the next consultation or an
amendment. eForms says it by its notice type (BT-02 « can-… », root ContractAwardNotice) and names the winner and
the decision date (BT-1451); a BOAMP print says it in its heading (« Avis d'attribution », « AVIS D'ATTRIBUTION DE
MARCHÉ », « Résultat de marché »).
"""
from __future__ import annotations

import re
from datetime import date

from procure.extract.document import DocText

# Where the heading of a BOAMP print stands: its first lines (the body of a contract notice may speak of the award
# notice to come, « l'avis d'attribution sera publié », which says nothing).
HEAD_CHARS = 1500
HEADING_RE = re.compile(r"(?:^|\n)[ \t]*(?:avis\s+d'attribution(?:\s+de\s+(?:marche|contrat|concession))?|"
                        r"avis\s+de\s+resultats?\s+de\s+marche|resultat\s+de\s+(?:marche|la\s+procedure))"
                        # « Avis d'attribution Procédure Ouverte », « Avis d'attribution de marché – Directive 2014/24/UE »
                        r"(?:[ \t]+(?:procedure\b|[-–—])[^\n]*)?[ \t]*(?:\n|$|:)")
# EU form section V: « V.2.1) Date de conclusion du marché : 12/03/2020 », « Nom officiel : ENTREPRISE X ».
AWARD_DATE_RE = re.compile(r"date\s+(?:de\s+conclusion|d'attribution|de\s+la\s+decision\s+d'attribution)(?:\s+du\s+"
                           r"(?:marche|contrat))?\s*:?\s*(\d{1,2}/\d{1,2}/\d{4})")
# … and the national form: « Nom du titulaire / organisme : X », « Attributaire : X ».
WINNER_RE = re.compile(r"nom\s+et\s+adresse\s+du\s+titulaire[^\n]*\n\s*nom\s+officiel\s*:\s*([^\n]{2,120})|"
                       r"(?:^|\n)\s*(?:nom\s+du\s+titulaire(?:\s*/\s*organisme)?|attributaire)\s*:\s*([^\n]{2,120})")


def award_warning(winners: list[str], decided: date | None) -> str:
    """The French warning: who won and when, when the notice says it."""
    said = []
    if winners:
        said.append("à " + ", ".join(dict.fromkeys(w.strip() for w in winners if w.strip())))
    if decided:
        said.append(f"le {decided:%d/%m/%Y}")
    detail = f" ({' '.join(said)})" if said else ""
    return (f"Avis d'attribution : ce marché est déjà attribué{detail} ; les clauses proposées serviront au prochain "
            "marché ou à un avenant.")


def award_in_text(doc: DocText) -> str | None:
    """The warning for a printed award notice (its heading says so), else None."""
    if not HEADING_RE.search(doc.folded[:HEAD_CHARS]):
        return None
    winner = WINNER_RE.search(doc.folded)
    group = next((i for i in (1, 2) if winner and winner.group(i)), None)
    winners = [doc.text[winner.start(group) : winner.end(group)].strip(" .")] if winner and group else []
    return award_warning(winners, _day(AWARD_DATE_RE.search(doc.folded)))


def _day(match: re.Match[str] | None) -> date | None:
    if match is None:
        return None
    day, month, year = (int(part) for part in match.group(1).split("/"))
    try:
        return date(year, month, day)
    except ValueError:
        return None
