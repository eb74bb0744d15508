"""The closed vocabularies of procure: each code stands on one line with its French label (les emplois style).

A member *is* its code (`StrEnum`): `DocumentRole.CCAP == "CCAP"`, it is stored as such in the database and in the
JSON of an analysis, and a mapping keyed by the enum answers a lookup by the bare string. The French label is
`.label`; `parse()` accepts a code or its label. Tables that belong to a vocabulary (the trust rank of a document
role, the title that names it…) live here beside it, keyed by the member, never by a string.

This module depends on nothing in procure: `model`, `extract`, `law`, `advice` and `service` all import from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

__all__ = ["LabelledEnum", "DocumentRole", "RoleTraits", "ROLE_TRAITS", "Layout", "DateKey", "ContractNature",
           "HoursPer", "BuyerCategory", "SuggestionStatus"]


class LabelledEnum(StrEnum):
    """A code stored as such, with its French label: `CCAP = "CCAP", "cahier des clauses administratives…"`."""

    _label_: str

    def __new__(cls, value: str, label: str | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label_ = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        return self._label_

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}

    @classmethod
    def parse(cls, text: str) -> Self:
        """A code or its French label (any case, spaces trimmed); ValueError otherwise."""
        if text in cls._value2member_map_:
            return cls(text)
        wanted = " ".join(str(text).split()).casefold()
        for member in cls:
            if wanted in (member.value.casefold(), member.label.casefold()):
                return member
        raise ValueError(f"{cls.__name__} : valeur inconnue {text!r}")


class DocumentRole(LabelledEnum):
    """What a piece of a tender is (`documents.doc_type`), decided by `procure.extract.roles.classify`.

    The members stand in the order their titles are tried when two start at the same place on a first page.
    """

    CANDIDATURE = "CANDIDATURE", "formulaire de candidature ou cadre de réponse"
    QR = "QR", "questions et réponses"
    RC = "RC", "règlement de la consultation"
    CCAP = "CCAP", "cahier des clauses administratives particulières"
    CCTP = "CCTP", "cahier des clauses techniques particulières"
    CCP = "CCP", "cahier des clauses particulières"
    AE = "AE", "acte d'engagement"
    BPU = "BPU", "bordereau des prix unitaires"
    DPGF = "DPGF", "décomposition du prix global et forfaitaire"
    DQE = "DQE", "détail quantitatif estimatif"
    CONTRAT = "CONTRAT", "contrat"
    ANNEXE = "ANNEXE", "annexe"
    AVIS = "AVIS", "avis de marché"
    AUTRE = "AUTRE", "autre pièce"

    @property
    def traits(self) -> RoleTraits:
        return ROLE_TRAITS[self]

    @property
    def rank(self) -> int:
        """Trust for tender facts, lower first (the notice and the RC describe the consultation)."""
        return self.traits.rank

    @property
    def provision_rank(self) -> int:
        """Trust for social provisions, lower first (the CCAP and the AE bind the holder)."""
        return self.traits.provision_rank

    @property
    def yields_provisions(self) -> bool:
        """False for a piece that only asks questions of the candidate (DC1, DC2, DUME, answer frames)."""
        return self.traits.yields_provisions


@dataclass(frozen=True)
class RoleTraits:
    """What procure knows of a document role.

    `title`: the folded regex of the title that names the role on a first page (None: recognised otherwise);
    `filename_tokens`: file-name tokens that name it, the last resort; `rank`: trust for tender facts;
    `provision_rank`: trust for social provisions; `yields_provisions`: whether its sentences may state a provision
    at all; `asks`: it asks questions (of the buyer or of the candidate) rather than stating the contract;
    `price_schedule`: a price table (its sentences never state a provision); `technical`: a technical piece, whose
    sentences name other buyers and places (the buyer is only read in its title lines).
    """

    rank: int
    provision_rank: int = 4
    title: str | None = None
    filename_tokens: tuple[str, ...] = ()
    yields_provisions: bool = True
    asks: bool = False
    price_schedule: bool = False
    technical: bool = False


_R = DocumentRole
# Which piece is trusted first for tender facts (rank, lower is better): the notice and the RC describe the
# consultation; the AE and CCAP the contract; the CCTP restates ceilings with other scopes, so it comes late.
# Social provisions are trusted in another order (provision_rank): the pieces that bind the holder first.
ROLE_TRAITS: dict[DocumentRole, RoleTraits] = {
    _R.CANDIDATURE: RoleTraits(
        8, title=r"lettre\s+de\s+candidature|declaration\s+du\s+candidat|document\s+unique\s+de\s+marche\s+europeen|"
                 r"\bdume\b|formulaire\s+dc\s?[124]\b|\bdc\s?[124]\s*[-–:]|cadre\s+(?:de\s+|du\s+)?(?:reponse|memoire)|"
                 r"trame\s+(?:de\s+|du\s+)?memoire|memoire\s+technique\s*[-–:]?\s*$|declaration\s+de\s+sous-traitance",
        filename_tokens=("DC1", "DC2", "DUME", "CRT"), yields_provisions=False, asks=True),
    _R.QR: RoleTraits(
        7, 5, title=r"questions?\s*[/-]\s*reponses?|\bquestion\s+n\s*[°o]\s*\d|reponses?\s+aux\s+questions|"
                    r"registre\s+des\s+questions|questions?\s+(?:posees\s+)?(?:des|par\s+les)\s+"
                    r"(?:candidats|soumissionnaires|entreprises)|foire\s+aux\s+questions",
        filename_tokens=("QR", "FAQ"), asks=True),
    _R.RC: RoleTraits(1, 1, title=r"r\s*e\s*g\s*l\s*e\s*m\s*e\s*n\s*t\s+d[eu]\s+(?:la\s+)?consultation|\br\.?\s?c\.?\s*$",
                      filename_tokens=("RC",)),
    _R.CCAP: RoleTraits(2, 0, title=r"cahier\s+des\s+clauses\s+administratives(?:\s+particulieres)?|\bc\.?\s?c\.?\s?a\.?\s?p\b",
                        filename_tokens=("CCAP",)),
    _R.CCTP: RoleTraits(4, 3, title=r"cahier\s+des\s+clauses\s+techniques(?:\s+particulieres)?|\bc\.?\s?c\.?\s?t\.?\s?p\b",
                        filename_tokens=("CCTP",), technical=True),
    _R.CCP: RoleTraits(3, 0, title=r"cahier\s+des\s+(?:clauses\s+)?(?:charges\s+)?particulieres|\bc\.?\s?c\.?\s?p\.?\b",
                       filename_tokens=("CCP",)),
    _R.AE: RoleTraits(1, 0, title=r"acte\s+d'\s*engagement|\battri\s?1\b", filename_tokens=("AE", "ATTRI1")),
    _R.BPU: RoleTraits(6, title=r"borde?reau\s+(?:des\s+)?(?:de\s+)?prix(?:\s+unitaires?)?|\bb\.?\s?p\.?\s?u\b",
                       filename_tokens=("BPU",), price_schedule=True, technical=True),
    _R.DPGF: RoleTraits(6, title=r"decomposition\s+du\s+prix\s+global|\bd\.?\s?p\.?\s?g\.?\s?f\b",
                        filename_tokens=("DPGF",), price_schedule=True, technical=True),
    _R.DQE: RoleTraits(6, title=r"detail\s+quantitatif\s+estimatif|\bd\.?\s?q\.?\s?e\b", filename_tokens=("DQE",),
                       price_schedule=True, technical=True),
    _R.CONTRAT: RoleTraits(2, 0, title=r"^\s*contrat\s+(?:de|d')(?!\s*travail)", filename_tokens=("CONTRAT",)),
    _R.ANNEXE: RoleTraits(5, title=r"^\s*annexe\b", technical=True),
    _R.AVIS: RoleTraits(0, 2, filename_tokens=("AAPC", "AVIS")),
    _R.AUTRE: RoleTraits(5),
}
del _R


class Layout(LabelledEnum):
    """How a piece is laid out, which decides the reader of `procure.extract.readers` that reads it."""

    EFORMS_DATA = "eforms_data", "avis eForms en données (XML ou JSON)"
    EFORMS = "eforms", "avis eForms imprimé"
    EU_FORM = "eu_form", "formulaire européen du BOAMP"
    NATIONAL_FORM = "national_form", "formulaire national du BOAMP"
    DOCUMENT = "document", "pièce de DCE"


class DateKey(LabelledEnum):
    """The dates of a tender (`Tender.dates`), in the order the law's reference date is taken from them."""

    LAUNCH = "launch", "date de lancement de la consultation"
    PUBLICATION = "publication", "date d'envoi ou de publication de l'avis"
    OFFERS_DEADLINE = "offers_deadline", "date limite de remise des offres"
    PIECES = "pieces", "date imprimée sur les pièces du dossier"


class ContractNature(LabelledEnum):
    """The nature of a contract, which sets the European threshold that applies to it."""

    WORKS = "works", "travaux"
    SUPPLIES = "supplies", "fournitures"
    SERVICES = "services", "services"
    SOCIAL_SERVICES = "social_services", "services sociaux et autres services spécifiques"


class HoursPer(LabelledEnum):
    """What a number of insertion hours counts: the whole contract, or each year of execution."""

    TOTAL = "total", "sur toute la durée du marché"
    YEAR = "year", "par an"


class BuyerCategory(LabelledEnum):
    """The kind of buyer, which sets the European thresholds (and hence the L2112-2-1 obligation)."""

    # State: ministries, prefectures, national public bodies (autorités publiques centrales)
    CENTRAL = "central", "autorité publique centrale (État)"
    # other contracting authorities: communes, EPCI, departments, regions, hospitals, local bodies
    LOCAL = "local", ("pouvoir adjudicateur autre que l'État (collectivité, établissement public, organisme de droit "
                      "privé…)")
    # entités adjudicatrices (networks: water, energy, transport)
    CONTRACTING_ENTITY = "contracting_entity", "entité adjudicatrice"


class SuggestionStatus(LabelledEnum):
    """How strongly a lever is proposed for a lot (`suggestions.status` keeps the code)."""

    MANDATORY = "mandatory", "obligatoire"
    RECOMMENDED = "recommended", "recommandée"
    POSSIBLE = "possible", "possible"
    PRESENT = "present", "déjà présente"  # the tender already has this provision
