"""Kinds of inclusive structures (SIAE, EA, ESAT, ESS…) and their French labels.

Kept apart from the importers so that the law library can check lever eligibility without loading the
database layer.
"""
from __future__ import annotations

SIAE_KINDS = {"EI", "ACI", "AI", "ETTI", "EITI"}
KINDS = SIAE_KINDS | {"GEIQ", "EA", "EATT", "ESAT", "SCOP", "SCIC", "ASSOCIATION", "REGIE", "ESS"}
KIND_LABELS_FR = {
    "EI": "Entreprise d'insertion", "ACI": "Atelier et chantier d'insertion", "AI": "Association intermédiaire",
    "ETTI": "Entreprise de travail temporaire d'insertion", "EITI": "Entreprise d'insertion par le travail indépendant",
    "GEIQ": "Groupement d'employeurs pour l'insertion et la qualification", "EA": "Entreprise adaptée",
    "EATT": "Entreprise adaptée de travail temporaire", "ESAT": "Établissement et service d'aide par le travail",
    "SCOP": "Société coopérative et participative", "SCIC": "Société coopérative d'intérêt collectif",
    "ASSOCIATION": "Association", "REGIE": "Régie de quartier", "ESS": "Autre structure de l'ESS",
}
KIND_ALIASES = {"ENTREPRISE ADAPTEE": "EA", "REGIE DE QUARTIER": "REGIE", "REGIE DE TERRITOIRE": "REGIE", "ASSO": "ASSOCIATION"}
