"""Demo data for a fresh install: a demo organisation and users, and fictitious suppliers when no real directory exists."""
from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from procure.directory.suppliers import Supplier, SupplierRepository, luhn_ok
from procure.reference.geo import commune_by_insee
from procure.service.workspace import SYSTEM, Workspace

DEMO_ORGANISATION = "Ville de démonstration (fictive)"
GROUP_ORGANISATION = "Groupe de travail achats responsables (CAPAP)"
DEMO_ACCOUNTS = [
    ("acheteur@demo.procure", "Acheteuse de démonstration", "buyer", DEMO_ORGANISATION),
    ("groupe@demo.procure", "Membre du groupe de travail (démo)", "reviewer", GROUP_ORGANISATION),
    ("admin@demo.procure", "Administrateur (démo)", "admin", GROUP_ORGANISATION),
]
# (name, kinds, NAF, INSEE, activities, headcount) — fictitious structures around Plaine Centrale du Val-de-Marne.
DEMO_SUPPLIERS = [
    ("Peinture Solidaire du Val", ["EI"], "4334Z", "94081", "peinture intérieure, revêtements, petits travaux", 18),
    ("Bâtir Ensemble 94", ["EI", "ACI"], "4399C", "94028", "maçonnerie, gros œuvre, démolition", 35),
    ("Intérim Inclusion Créteil", ["ETTI"], "7820Z", "94028", "mise à disposition de personnel BTP et propreté", 60),
    ("Association Coup de Main", ["AI"], "7830Z", "94002", "mise à disposition de personnel, entretien", 40),
    ("Jardins de la Plaine", ["ACI"], "8130Z", "94044", "entretien d'espaces verts, élagage", 22),
    ("ESAT Les Ateliers du Mont-Mesly", ["ESAT"], "8130Z", "94028", "espaces verts, conditionnement, reprographie", 55),
    ("Propreté Adaptée Est", ["EA"], "8121Z", "94081", "nettoyage de locaux, vitrerie", 45),
    ("Blanchisserie Solidaire", ["EA"], "9601A", "94002", "blanchisserie, repassage, couture", 15),
    ("Régie de quartier des Bords de Seine", ["REGIE"], "8129A", "94002", "propreté urbaine, petits travaux", 25),
    ("Recyclerie de la Plaine", ["ACI"], "3832Z", "94081", "tri et valorisation des déchets, réemploi", 20),
]


def demo_siret(number: int) -> str:
    """A SIRET that passes the Luhn checks, in a range reserved for the demo (SIREN starting with 999)."""
    for candidate in range(number * 100, number * 100 + 100):
        siren = f"999{candidate:05d}"
        for check in range(10):
            if luhn_ok(siren + str(check)):
                siren_full = siren + str(check)
                break
        for nic in range(10000, 10100):
            siret = f"{siren_full}{nic:05d}"
            if luhn_ok(siret):
                return siret
    raise ValueError(number)


def demo_suppliers() -> list[Supplier]:
    suppliers = []
    for number, (name, kinds, naf, insee, activities, headcount) in enumerate(DEMO_SUPPLIERS, start=1):
        commune = commune_by_insee(insee)
        suppliers.append(Supplier(demo_siret(number), f"{name} [fictive]", kinds, naf=naf, activities=activities,
                                  headcount=headcount, commune_insee=insee, commune_name=commune.name,
                                  department=commune.department, latitude=commune.latitude, longitude=commune.longitude,
                                  source="démonstration (structures fictives)", demo=True))
    return suppliers


def setup_demo(workspace: Workspace, repository: SupplierRepository) -> list[tuple[str, str, str]]:
    """Create (or reset) the demo accounts; returns (email, password, role) to print."""
    credentials = []
    for email, name, role, organisation in DEMO_ACCOUNTS:
        organisation_id = workspace.create_organisation(organisation, demo=True, actor=SYSTEM)
        password = secrets.token_urlsafe(9)
        try:
            workspace.create_user(email, password, name, role, organisation_id, actor=SYSTEM)
        except (IntegrityError, ValueError):  # already there: give it a fresh password, since hashes cannot be shown
            workspace.set_password(email, password, actor=SYSTEM)
        credentials.append((email, password, role))
    if not repository.has_real_records():
        repository.upsert(demo_suppliers())
    return credentials
