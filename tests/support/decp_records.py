"""DECP contracts in the 2024 format, with every field the schema requires, for tests that build small files."""


def record(identifier, objet, cpv, social, amount=150000):
    """A contract in the 2024 format with every field the schema requires."""
    return {
        "id": identifier, "acheteur": {"id": "21940081800011"}, "nature": "Marché", "objet": objet, "codeCPV": cpv,
        "techniques": {"technique": ["Sans objet"]}, "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
        "marcheInnovant": False, "ccag": "Travaux", "offresRecues": 3, "attributionAvance": False,
        "typeGroupementOperateurs": "Pas de groupement", "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "94081", "typeCode": "Code commune"}, "dureeMois": 12, "dateNotification": "2025-03-01",
        "datePublicationDonnees": "2025-03-10", "montant": amount, "typesPrix": {"typePrix": ["Définitif ferme"]},
        "formePrix": "Forfaitaire", "sousTraitanceDeclaree": False,
        "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "41071771400035"}}],
        "considerationsSociales": {"considerationSociale": social},
        "considerationsEnvironnementales": {"considerationEnvironnementale": ["Pas de considération environnementale"]},
    }
