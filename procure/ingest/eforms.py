"""eForms notices as published data: TED XML (UBL 2.3 with the eForms extension) and BOAMP open-data records,
whose `donnees` field holds the same tree as JSON ("@attr" and "#text" keys, lists for repeated children).

Both are turned into one lxml tree, read by business term through the XPath table `eforms_terms.yaml`, and
rendered as text blocks — one block a fact, "Titre du lot (BT-21) : …" — so that every fact read from the notice
has a block and a passage to show as evidence, and the provisions reader sees the free texts (BT-300 notes,
BT-70 conditions, criteria) like any other piece.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from procure.ingest.notice_sniff import NOTICE_ROOTS, UBL_ROOT_NS
from procure.model import Block, DocumentInfo
from procure.vocabulary import DocumentRole

# A block stays under the ingest bound (20 000 characters), so that no block is split and the facts' block
# numbers stay valid.
MAX_VALUE_CHARS = 15_000
MAX_RECORDS = 5_000


class EformsError(ValueError):
    """A file that looks like an eForms notice but cannot be read; the message is French, for the user."""


@dataclass(frozen=True)
class NoticeFact:
    """One value of the notice: its business term, where it stands, and the block that shows it."""

    term: str  # "BT-21"
    label: str  # French label
    value: str
    scope: str  # notice, buyer, lot, criterion
    lot: str | None  # "LOT-0001" for lot and criterion facts
    criterion: int | None  # position of the award criterion in its lot
    codelist: str | None
    attributes: dict
    path: str  # the element, for the evidence
    block: int  # index of the block that shows it
    value_start: int  # offset of the value inside that block


@dataclass
class EformsNotice:
    """What procure read of one eForms notice."""

    root: str  # ContractNotice, PriorInformationNotice, ContractAwardNotice
    facts: list[NoticeFact] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)  # lot identifiers in the order of the notice
    record: str | None = None  # BOAMP record identifier (idweb), for a JSON record

    def of(self, term: str, scope: str = "notice", lot: str | None = None) -> list[NoticeFact]:
        return [f for f in self.facts if f.term == term and f.scope == scope and f.lot == lot]

    def first(self, term: str, scope: str = "notice", lot: str | None = None) -> NoticeFact | None:
        found = self.of(term, scope, lot)
        return found[0] if found else None


@lru_cache(maxsize=1)
def terms() -> dict:
    text = resources.files("procure.ingest").joinpath("eforms_terms.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


# --- parsing -----------------------------------------------------------------------------------------------------

def parse_xml(path: Path | bytes):
    """The notice's tree, from a file or from bytes (a member of a TED package); no DTD, no entity, no network
    (a notice never needs them)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    try:
        root = (etree.fromstring(path, parser) if isinstance(path, bytes) else etree.parse(str(path), parser).getroot())
    except etree.XMLSyntaxError as error:
        raise EformsError(f"Avis eForms illisible : le XML est mal formé ({_short(str(error))}).") from error
    if etree.QName(root).localname not in NOTICE_ROOTS:
        raise EformsError("Ce fichier XML n'est pas un avis eForms (avis de préinformation, de marché ou d'attribution).")
    return root


def json_records(path: Path, limit: int | None = MAX_RECORDS) -> list[dict]:
    """BOAMP records in a file: an array, a single record, an API answer ({"results": […]}), or JSON lines.

    `limit`: the upload of one tender keeps the first MAX_RECORDS; the territorial watch reads them all."""
    raw = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in raw.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise EformsError(f"Fichier JSON illisible ({_short(str(error))}).") from error
    if isinstance(data, dict):
        data = data.get("results", data.get("records", [data]))
    records = [r.get("fields", r) if isinstance(r, dict) and "donnees" not in r else r for r in data]
    records = [r for r in records if isinstance(r, dict)]
    if not records:
        raise EformsError("Ce fichier JSON ne contient aucun avis BOAMP (champ « donnees » absent).")
    return records[:limit] if limit else records


def record_tree(record: dict):
    """The eForms tree of one BOAMP record, as an lxml element with the notice's namespaces."""
    donnees = record.get("donnees")
    if isinstance(donnees, str):
        try:
            donnees = json.loads(donnees)
        except json.JSONDecodeError as error:
            raise EformsError("Le champ « donnees » de cet avis BOAMP n'est pas du JSON lisible.") from error
    if not isinstance(donnees, dict):
        raise EformsError("Cet enregistrement BOAMP n'a pas de champ « donnees » : l'avis lui-même manque.")
    eforms = donnees.get("EFORMS")
    if not isinstance(eforms, dict):
        schema = record.get("source_schema") or next(iter(donnees), "inconnu")
        raise EformsError(f"Cet avis BOAMP n'est pas au format eForms (format « {schema} ») : déposez l'avis en PDF.")
    root_name = next((name for name in eforms if name in NOTICE_ROOTS), None)
    if root_name is None:
        raise EformsError("Cet avis BOAMP au format eForms n'est ni un avis de préinformation, ni de marché, ni d'attribution.")
    return _element(root_name, eforms[root_name], UBL_ROOT_NS.format(root=root_name), depth=0)


def _element(name: str, value, default_ns: str, depth: int):
    from lxml import etree

    if depth > 60:
        raise EformsError("Avis BOAMP illisible : son arbre est imbriqué à l'excès.")
    namespaces = terms()["namespaces"]
    prefix, _, local = name.rpartition(":")
    element = etree.Element(f"{{{namespaces.get(prefix, default_ns) if prefix else default_ns}}}{local}", nsmap=None)
    _fill(element, value, default_ns, depth)
    return element


def _fill(element, value, default_ns: str, depth: int) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "#text":
                element.text = _text(child)
            elif key.startswith("@"):
                if not key.startswith("@xmlns"):
                    element.set(key[1:].rpartition(":")[2], _text(child))
            else:
                for item in child if isinstance(child, list) else [child]:
                    element.append(_element(key, item, default_ns, depth + 1))
    elif value is not None:
        element.text = _text(value)


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def _short(message: str) -> str:
    return message[:120]


# --- reading by business term -----------------------------------------------------------------------------------

@dataclass
class _Builder:
    name: str
    blocks: list[Block] = field(default_factory=list)
    facts: list[NoticeFact] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(Block(self.name, None, len(self.blocks), "heading", text))

    def fact(self, term: dict, value: str, scope: str, lot: str | None, criterion: int | None, element) -> None:
        value = " ".join(value.split())[:MAX_VALUE_CHARS]
        if not value:
            return
        prefix = f"{term['label']} ({term['id']}) : "
        attributes = {k: v for k, v in element.attrib.items() if k in ("currencyID", "unitCode", "listName", "languageID")}
        self.facts.append(NoticeFact(term["id"], term["label"], value, scope, lot, criterion, term.get("codelist"),
                                     attributes, _path_of(element), len(self.blocks), len(prefix)))
        self.blocks.append(Block(self.name, None, len(self.blocks), "paragraph", prefix + _shown(value, term, attributes)))


def read_notice(root, name: str, record: str | None = None) -> tuple[EformsNotice, list[Block]]:
    """Facts and blocks of a notice: the notice's own terms, its buyers, then each lot with its criteria."""
    table = terms()
    builder = _Builder(name)
    notice = EformsNotice(_localname(root), record=record)
    builder.heading(f"Avis eForms ({_root_label(notice.root)})" + (f" — BOAMP {record}" if record else ""))
    _read_terms(builder, root, table["notice"], "notice", None, None)
    for company in _buyers(root):
        _read_terms(builder, company, table["buyer"], "buyer", None, None)
    for lot in _lots(root):
        identifier = lot.findtext("cbc:ID", namespaces=table["namespaces"]) or f"LOT-{len(notice.lots) + 1:04d}"
        notice.lots.append(identifier)
        builder.heading(f"Lot technique {identifier}")
        _read_terms(builder, lot, table["lot"], "lot", identifier, None)
        for position, criterion in enumerate(_xpath(lot, table["criterion_path"])):
            _read_terms(builder, criterion, table["criterion"], "criterion", identifier, position)
    notice.facts = builder.facts
    return notice, builder.blocks


def _read_terms(builder: _Builder, context, table: list[dict], scope: str, lot: str | None, criterion: int | None) -> None:
    for term in table:
        for element in _in_language(_xpath(context, term["path"])):
            builder.fact(term, element.text or "", scope, lot, criterion, element)


def _in_language(elements: list) -> list:
    """A text given in several languages: the French one(s) when there is one."""
    tagged = [e for e in elements if e.get("languageID")]
    french = [e for e in tagged if e.get("languageID", "").upper() in ("FRA", "FR")]
    return french if french else (tagged[:1] if tagged and len(tagged) == len(elements) else elements)


def _xpath(context, path: str) -> list:
    table = terms()
    return context.xpath(path.replace("{ext}", table["extension"]), namespaces=table["namespaces"])


def _buyers(root) -> list:
    """The buyers' organisations: cac:ContractingParty names them by ID in efac:Organizations."""
    ids = [i.strip() for i in _xpath(root, "cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID/text()")]
    companies = _xpath(root, "{ext}/efac:Organizations/efac:Organization/efac:Company")
    by_id = {c.findtext("cac:PartyIdentification/cbc:ID", namespaces=terms()["namespaces"], default="").strip(): c
             for c in companies}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


def _lots(root) -> list:
    """The lots with an identifier; a group of lots (schemeName "LotsGroup") is no lot."""
    return _xpath(root, "cac:ProcurementProjectLot[cbc:ID][not(cbc:ID[1]/@schemeName='LotsGroup')]")


def _localname(element) -> str:
    return element.tag.rpartition("}")[2]


def _path_of(element) -> str:
    """"cac:ProcurementProject/cbc:Name": the element's last three steps, with their usual prefixes."""
    prefixes = {uri: prefix for prefix, uri in terms()["namespaces"].items()}
    steps, node = [], element
    while node is not None and len(steps) < 3 and node.getparent() is not None:
        uri, _, local = node.tag[1:].partition("}")
        steps.insert(0, f"{prefixes.get(uri, '')}:{local}".lstrip(":"))
        node = node.getparent()
    return "/".join(steps)


ROOT_LABELS_FR = {"ContractNotice": "avis de marché", "PriorInformationNotice": "avis de préinformation",
                  "ContractAwardNotice": "avis d'attribution"}


def _root_label(root: str) -> str:
    return ROOT_LABELS_FR.get(root, root)


# French words beside the codes a reader meets most, so that the passage shown reads as French.
CODE_LABELS_FR = {
    "procurement-procedure-type": {"open": "procédure ouverte", "restricted": "procédure restreinte",
                                   "neg-w-call": "procédure avec négociation", "neg-wo-call": "procédure négociée sans mise en concurrence préalable",
                                   "comp-dial": "dialogue compétitif", "innovation": "partenariat d'innovation",
                                   "oth-single": "autre procédure en une étape", "oth-mult": "autre procédure en plusieurs étapes"},
    "contract-nature": {"works": "travaux", "supplies": "fournitures", "services": "services", "combined": "mixte"},
    "buyer-legal-type": {"cga": "autorité gouvernementale centrale", "ra": "autorité régionale", "la": "autorité locale",
                         "body-pl": "organisme de droit public", "body-pl-cga": "organisme de droit public contrôlé par l'État",
                         "body-pl-la": "organisme de droit public contrôlé par une autorité locale",
                         "body-pl-ra": "organisme de droit public contrôlé par une autorité régionale",
                         "pub-undert": "entreprise publique", "grp-p-aut": "groupement d'autorités publiques",
                         "spec-rights-entity": "entité bénéficiant de droits spéciaux ou exclusifs"},
    "strategic-procurement": {"none": "aucun", "soc-obj": "objectif social", "env-imp": "réduction des incidences environnementales",
                              "inn-pur": "achat d'innovation"},
    "social-objective": {"opp": "promotion de l'emploi", "wor-cond": "conditions de travail équitables",
                         "hum-right": "respect des droits de l'homme", "gen-eq": "égalité entre les femmes et les hommes",
                         "et-eq": "égalité ethnique", "acc-all": "accessibilité pour tous", "dis-mar": "marché réservé aux personnes défavorisées",
                         "other": "autre"},
    "reserved-procurement": {"none": "aucune", "res-ws": "ateliers protégés et opérateurs d'insertion",
                             "res-pub-ser": "organisations à mission de service public (article 77 de la directive)"},
    "reserved-execution": {"yes": "oui, dans le cadre de programmes d'emplois protégés", "no": "non"},
    "winner-selection-status": {"selec-w": "lauréat désigné", "open-nw": "pas encore de lauréat, la procédure continue",
                                "clos-nw": "aucun lauréat, la procédure est close"},
    "award-criterion-type": {"price": "prix", "cost": "coût", "quality": "qualité"},
    "change-corrig-justification": {"cancel": "annulation", "cor-buy": "correction par l'acheteur",
                                    "cor-esen": "correction par l'expéditeur", "update-add": "mise à jour",
                                    "info-release": "publication d'informations"},
}


UNIT_LABELS_FR = {"DAY": "jours", "WEEK": "semaines", "MONTH": "mois", "YEAR": "ans"}


def _shown(value: str, term: dict, attributes: dict) -> str:
    """The value as a reader would write it: a code with its French words, a duration or an amount with its unit."""
    if term["kind"] == "duration" and attributes.get("unitCode"):
        return f"{value} {UNIT_LABELS_FR.get(attributes['unitCode'], attributes['unitCode'])}"
    if term["kind"] == "amount":
        currency = attributes.get("currencyID", "")
        return f"{value} {'euros HT' if currency == 'EUR' else currency}".strip()
    label = CODE_LABELS_FR.get(term.get("codelist") or "", {}).get(value)
    return f"{value} ({label})" if label else value


# --- documents ---------------------------------------------------------------------------------------------------

def read_xml_notice(path: Path, name: str) -> tuple[EformsNotice, list[Block]]:
    return read_notice(parse_xml(path), name)


def read_json_notices(path: Path, name: str) -> list[tuple[EformsNotice, list[Block]]]:
    """Each BOAMP record of the file, read on its own; a record that is no eForms notice is an error of its own."""
    read = []
    records = json_records(path)
    for record in records:
        identifier = str(record.get("idweb") or record.get("id") or "") or None
        # In a file of many notices each passage names its notice: "export.json (avis 25-123573)".
        shown = f"{name} (avis {identifier})" if len(records) > 1 and identifier else name
        read.append(read_notice(record_tree(record), shown, identifier))
    return read


def document_info(blocks: list[Block]) -> DocumentInfo:
    return DocumentInfo(blocks[0].file, DocumentRole.AVIS, None, len(blocks))


def notice_label(notice: EformsNotice) -> str:
    """"avis de marché 25-123573": how a notice of a file of many is named to the user."""
    return _root_label(notice.root) + (f" {notice.record}" if notice.record else "")


