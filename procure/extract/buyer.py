"""The buyer of a tender: its name where the pieces state it, and its category (which sets the thresholds).

Rules over the text, no statistical model: a labelled field ("Pouvoir adjudicateur :", "Maître d'ouvrage",
"Nom et adresse officiels de l'organisme acheteur"), else a public body named on the title page or in the
running headers ("Ministère de" / "la Justice" split over two header lines is joined first). Architects,
economists and other project managers that title pages name first are never the buyer.
"""
from __future__ import annotations

import re

from procure.extract.document import DocText
from procure.extract.fields import Value, find_labels, read_value
from procure.model import BuyerCategory
from procure.text.normalize import fold

# Heads of the names of French public buyers (folded).
PUBLIC_BODY = (
    r"(?:ville|commune|mairie|municipalite)\s+(?:de|d'|du|des)|departement\s+(?:de|du|des|d')|conseil\s+(?:departemental|regional)|"
    r"region\s+[a-z]|prefecture|ministere|ministre|secretariat\s+general|direction\s+(?:regionale|departementale|interdepartementale|generale)|"
    r"communaute\s+(?:de\s+communes|d'agglomeration|urbaine)|metropole|\bept\b|etablissement\s+public|syndicat|sivom|sivu|"
    r"centre\s+(?:hospitalier|communal\s+d'action\s+sociale|intercommunal|de\s+gestion)|\bchu\b|\bchr\b|hopita|assistance\s+publique|"
    r"\bccas\b|\bcias\b|\bsdis\b|universite|ecole|lycee|college|institut|museum|musee|fondation|office\s+public|opac|office\s+de\s+l'habitat|"
    r"caisse|agence|chambre\s+de\s+commerce|\bcci\b|cour\s+d'appel|tribunal\s+judiciaire|rectorat|academie|"
    r"groupement\s+(?:d'interet\s+public|hospitalier)|\bgip\b|grand\s+[a-z]|territoire\s+de|\bsem\b|\bspl\b|minarm|mindef|\bdga\b|\besid\b"
)
PUBLIC_BODY_RE = re.compile(PUBLIC_BODY)
NOT_BUYER_RE = re.compile(
    r"architecte|economiste|maitr(?:e|ise)\s+d'(?:oe|œ)uvre|\bbet\b|bureau\s+d'etudes|controle|coordonnateur|\bsps\b|opc|"
    r"tribunal\s+administratif|mediat|recours|comptable|greffe|facilitateur|emploi\s+competences|maison\s+de\s+l'emploi|"
    r"plie\b|rédacteur|redacteur|instance\s+chargee"
)
# A department of the buyer, not the buyer: "Direction générale", "Direction des achats", "Service de la commande
# publique" (an SDIS or a ministry's "Direction générale de l'armement" are buyers and stay).
UNIT_ONLY_RE = re.compile(
    r"^\s*(?:(?:la\s+)?direction(?:\s+generale)?(?:\s+(?:adjointe|deleguee))?(?:\s+des\s+services)?(?:\s+techniques)?"
    r"(?:\s+(?:des|de\s+la|du)\s+(?:achats?|commande\s+publique|marches|finances|affaires\s+juridiques))?|"
    r"(?:le\s+)?(?:service|pole|bureau|cellule|mission)\b(?!.*(?:incendie|departemental|national|interministeriel|public\s+de))"
    r".*)\s*$"
)
BUYER_LABEL_RE = re.compile(
    r"(?:nom\s+et\s+adresse\s+officiels?\s+de\s+l'organisme\s+acheteur|nom\s+et\s+adresse\s+du\s+pouvoir\s+adjudicateur|"
    r"identification\s+de\s+(?:l'acheteur|l'organisme\s+qui\s+passe\s+le\s+marche|la\s+collectivite(?:\s+contractante)?|"
    r"l'entite\s+adjudicatrice|l'organisme\s+acheteur|la\s+personne\s+publique)|"
    r"(?:le\s+)?pouvoir\s+adjudicateur|(?:l')?acheteur(?:\s+public)?|maitre\s+d'ouvrage|maitre\s+de\s+l'ouvrage|"
    r"entite\s+adjudicatrice|organisme\s+acheteur|personne\s+publique(?:\s+contractante)?|collectivite(?:\s+contractante)?|"
    r"nom\s+complet\s+de\s+l'acheteur|nom\s+officiel|donneur\s+d'ordre)\s*(?::|\||$|\n)"
)
CENTRAL_RE = re.compile(
    r"ministere|ministre|\betat\b|prefecture|prefet|secretariat\s+general|direction\s+(?:regionale|departementale|interdepartementale)|"
    r"\bdreal\b|\bdreets\b|\bddt\b|\bdirm\b|rectorat|academie|cour\s+d'appel|tribunal\s+judiciaire|\bdga\b|minarm|mindef|\besid\b|"
    r"\bsga\b|\bdcsid\b|gendarmerie|police\s+nationale|armees?\b|national|nationale|\binsep\b|museum\s+national|"
    r"agence\s+(?:nationale|regionale\s+de\s+sante)|\bars\b|universite|ecole\s+(?:nationale|normale|centrale|polytechnique|superieure)"
)
LOCAL_TYPE_RE = re.compile(r"autorite\s+regionale\s+ou\s+locale|agence\s*/\s*office\s+regional\s+ou\s+local")
CENTRAL_TYPE_RE = re.compile(r"ministere\s+ou\s+toute\s+autre\s+autorite\s+nationale|agence\s*/\s*office\s+national")
# Notices name "le pouvoir adjudicateur / l'entité adjudicatrice" in their fixed labels: only the directive or the
# section title tell a contracting entity.
ENTITY_RE = re.compile(r"directive\s+2014/25|secteurs?\s+speciaux|section\s+i\s*:\s*entite\s+adjudicatrice")


def labelled_buyer(doc: DocText) -> Value | None:
    """The value of a buyer label: "Pouvoir adjudicateur : Ville de X", or the line after "MAÎTRE D'OUVRAGE"."""
    for match in find_labels(doc, BUYER_LABEL_RE):
        value = read_value(doc, match.end(), max_lines=2)
        if value is None:
            continue
        name = clean_name(value.text)
        if name and not NOT_BUYER_RE.search(value.folded[:60]) and len(name) >= 3 and not _is_sentence(name) and not is_unit_only(name):
            return _trimmed(value, name)
    return None


def body_on_title_page(doc: DocText, lines: int = 40) -> Value | None:
    """A public body named on a line of the first page (title block), before any architect's block."""
    offset = 0
    for _ in range(lines):
        end = doc.line_end(offset)
        line = doc.folded[offset:end]
        if (PUBLIC_BODY_RE.match(line.strip(" -*•")) and not NOT_BUYER_RE.search(line) and len(line.strip()) < 90
                and not is_unit_only(line.strip(" -*•"))):
            start = offset + len(line) - len(line.lstrip(" -*•"))
            return Value(doc, start, end)
        if end >= len(doc.folded):
            break
        offset = end + 1
    return None


NAMED_BODY_RE = re.compile(
    r"\b((?:Ville|Commune|Mairie|Département|Région|Communauté\s+(?:de\s+communes|d'agglomération|urbaine)|Métropole|"
    r"Syndicat(?:\s+\w+)?|Centre\s+hospitalier|Préfecture|Ministère|Conseil\s+départemental)"
    r"\s+(?:de\s+la\s+|de\s+l'|de\s+|du\s+|des\s+|d')?[A-ZÉÈÎ][\w'’-]*(?:[ -](?:sur|sous|en|de|du|des|la|le|les|l'|d'|et|lès|[A-ZÉÈÎ][\w'’-]*))*)"
)


def body_in_text(doc: DocText, chars: int = 3000) -> Value | None:
    """A public body named inside a sentence of the first paragraphs: "Marché passé par la Commune de X"."""
    for match in NAMED_BODY_RE.finditer(doc.text, 0, min(chars, len(doc.text))):
        name = re.sub(r"(?:[ -](?:sur|sous|en|de|du|des|la|le|les|l'|d'|et|lès))+$", "", match.group(1))
        if not NOT_BUYER_RE.search(doc.folded[max(0, match.start() - 40) : match.start()]):
            return Value(doc, match.start(1), match.start(1) + len(name))
    return None


def body_in_furniture(doc: DocText) -> str | None:
    """A public body named in the running headers or footers (lines of one page joined)."""
    text = " ".join(dict.fromkeys(b.text.strip() for b in doc.furniture))
    folded = fold(text)
    match = PUBLIC_BODY_RE.search(folded)
    if not match or NOT_BUYER_RE.search(folded[match.start() : match.start() + 60]):
        return None
    name = text[match.start() :]
    name = re.split(r"\s{2,}|\s[-–|]\s|\bp\.\s*\d|\bpage\b|\d", name)[0]
    name = clean_name(name)
    return name if name and not is_unit_only(name) else None


def is_unit_only(name: str) -> bool:
    """"Direction générale", "Service des marchés": a department of some buyer, which it does not name."""
    return bool(UNIT_ONLY_RE.match(fold(name)))


def clean_name(raw: str) -> str:
    """'Ville de Loos, 104 rue …' → 'Ville de Loos'; 'Vallée Sud - Grand Paris (92)' → 'Vallée Sud - Grand Paris'."""
    name = re.split(r",|\s+représentée?\s|\s+\(\s*(?:représent|ci-après)|\s+numéro\s+national|\s+n°\s*siret|\s+siret|\s+tél|\s+tel\.", raw,
                    flags=re.I)[0]
    # An address or a second header line that follows the name on the same line: "MAIRIE DE X PLACE DE LA
    # MAIRIE 77700 X", "Grand Chambéry 106 allée …", "Ministère de la Justice p Secrétariat Général …".
    name = re.split(r"\s\d|\s(?:p|page)\s|\s(?:place|rue|avenue|boulevard|allée|allee|chemin|route|quai|impasse|cours|bp|cs)\s",
                    name, flags=re.I)[0]
    name = re.sub(r"\s*\((?:\d{2,3}|2[AB])\)\s*$", "", name)
    return " ".join(name.split()).strip(" .;:-–")


def category(name: str | None, notice_folded: str = "") -> BuyerCategory | None:
    """Central authority, local authority or contracting entity, from the notice's own box or the name."""
    if ENTITY_RE.search(notice_folded):
        return BuyerCategory.CONTRACTING_ENTITY
    if CENTRAL_TYPE_RE.search(notice_folded):
        return BuyerCategory.CENTRAL
    if LOCAL_TYPE_RE.search(notice_folded):
        return BuyerCategory.LOCAL
    if not name:
        return None
    folded = fold(name)
    if CENTRAL_RE.search(folded):
        return BuyerCategory.CENTRAL
    if PUBLIC_BODY_RE.search(folded):
        return BuyerCategory.LOCAL
    return None


def _trimmed(value: Value, name: str) -> Value:
    position = value.doc.text.find(name, value.start, value.end + 1)
    if position < 0:
        return value
    return Value(value.doc, position, position + len(name))


def _is_sentence(name: str) -> bool:
    return len(name) > 120 or bool(re.search(r"\b(?:est|sont|sera|doit|peut)\b", name.lower()))


