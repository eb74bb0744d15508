"""Past awards as evidence, the leakage-free rules of the evaluation, and the place of a DECP contract."""
import math
from datetime import date

import pandas as pd
import pytest

from procure.directory.suppliers import Supplier
from procure.matching import place as places
from procure.matching.evidence import PastAwards, cpv_proximity
from procure.matching.match import LotQuery, SupplierIndex
from procure.reference.geo import commune_by_insee

REGIE, PAINTER, FAR = "42313374900028", "41071771400035", "38467557500029"


def supplier(siret, name, kinds, naf, insee):
    commune = commune_by_insee(insee)
    return Supplier(siret, name, kinds, naf=naf, commune_insee=insee, commune_name=commune.name,
                    department=commune.department, latitude=commune.latitude, longitude=commune.longitude, source="test")


@pytest.fixture
def contracts():
    return pd.DataFrame([
        {"id": "2018-EV-1", "objet": "Entretien des espaces verts des écoles", "cpv": "77310000", "date": "2018-03-01",
         "acheteur_nom": "Ville de Créteil", "lieu_code": "94", "titulaires": REGIE},
        {"id": "2018-EV-2", "objet": "Tonte et taille des espaces verts communaux", "cpv": "77311000",
         "date": "2018-09-12", "acheteur_nom": "Ville de Vitry-sur-Seine", "lieu_code": "94", "titulaires": f"{REGIE}|{FAR}"},
        {"id": "2019-EV-3", "objet": "Entretien des espaces verts des parcs", "cpv": "77310000", "date": "2019-05-20",
         "acheteur_nom": "Ville de Créteil", "lieu_code": "94", "titulaires": REGIE},
        {"id": "2019-PEI", "objet": "Peinture des logements", "cpv": "45442100", "date": "", "acheteur_nom": "OPH",
         "lieu_code": "94", "titulaires": PAINTER},
    ])


@pytest.fixture
def directory():
    return [supplier(REGIE, "Régie de quartier", ["ACI", "EI"], "8899B", "94028"),
            supplier(PAINTER, "Peinture Solidaire", ["EI"], "4334Z", "94081"),
            supplier(FAR, "Jardins du Rhône", ["ACI"], "8130Z", "69123")]


def test_cpv_proximity_follows_the_tree():
    assert cpv_proximity("77310000", "77310000") == 1.0
    assert cpv_proximity("77311000", "77310000") == 0.75  # same class 7731
    assert cpv_proximity("77211000", "77310000") == 0.25  # same division only
    assert cpv_proximity("45442100", "77310000") == 0.0
    assert cpv_proximity("77310000", None) == 0.0


def test_only_awards_strictly_before_the_lot_count_and_never_the_contract_itself(contracts):
    awards = PastAwards(contracts, [REGIE, PAINTER, FAR])
    everything = awards.features("Entretien des espaces verts", "77310000", "Ville de Créteil")
    assert everything["past_count"][0] == pytest.approx(math.log1p(3))
    before = awards.features("Entretien des espaces verts", "77310000", "Ville de Créteil",
                             before=date(2019, 5, 20), exclude="2018-EV-1")
    # 2019-EV-3 is the same day (not before), 2018-EV-1 is excluded: only 2018-EV-2 is left for the régie
    assert before["past_count"][0] == pytest.approx(math.log1p(1))
    assert before["past_cpv"][0] == 1.0 and before["past_buyer"][0] == 0.0  # 77311000 lies inside the lot's class 7731
    # an undated award never counts for a dated lot
    assert before["past_count"][1] == 0.0 and everything["past_count"][1] > 0


def test_past_awards_are_explained_in_french_and_raise_the_structure(contracts, directory):
    index = SupplierIndex(directory, contracts)
    creteil = commune_by_insee("94028")
    query = LotQuery("Entretien des espaces verts du cimetière", "77310000", buyer="Ville de Créteil",
                     place=places.from_commune(creteil), radius_km=1000)
    result = index.match(query)
    best = result.ranked[0]
    assert best.supplier.siret == REGIE and best.confidence == "forte"
    awards = best.explanations["awards"]
    assert awards.startswith("marchés publics : a déjà réalisé 3 marché(s) proche(s) de ce lot")
    assert "pour Ville de Créteil" in awards and "déjà titulaire chez cet acheteur" in awards
    without = SupplierIndex(directory).match(query).ranked[0]
    assert best.score > without.score  # the same structure, with its track record, scores higher


def test_names_never_count_as_activity(directory):
    lookalike = supplier("80750085500034", "ESPACES VERTS 94", ["ETTI"], "7820Z", "94028")
    index = SupplierIndex(directory + [lookalike])
    features, _ = index.features(LotQuery("Entretien des espaces verts", place=places.from_commune(commune_by_insee("94028"))))
    assert features["activity_text"][-1] == 0.0


@pytest.mark.parametrize("code, kind, buyer, expected", [
    ("94028", "Code commune", None, ("commune", "94028")),
    ("64109", "Code postal", "VILLE DE BAYONNE", ("commune", "64102")),  # a CEDEX code: the buyer's commune
    ("59066", "Code postal", "Ville de Roubaix", ("commune", "59512")),  # an INSEE code typed as a postal code
    ("66", "Code postal", None, ("department", "66")),
    ("073", "Code département", None, ("department", "73")),
    ("0902", "Code arrondissement", None, ("department", "09")),
    ("FR", "Code pays", None, ("national", None)),
])
def test_decp_places_are_read_leniently(code, kind, buyer, expected):
    place = places.from_decp(code, kind, buyer)
    assert place.scope == expected[0]
    if expected[0] == "commune":
        assert place.commune_insee == expected[1]
    if expected[0] == "department":
        assert place.department == expected[1]


def test_a_department_is_measured_from_the_buyer_commune_inside_it():
    place = places.refine_with_buyer(places.from_decp("73", "Code département"), "Ville d'Aix les Bains")
    aix = commune_by_insee("73008")
    assert place.scope == "department" and place.department == "73"
    assert (place.latitude, place.longitude) == (aix.latitude, aix.longitude)
    homonym = places.refine_with_buyer(places.from_decp("68", "Code département"), "Ville de Saint-Louis")
    assert homonym.commune_insee == "68297"  # the Saint-Louis of the Haut-Rhin, not of Moselle or Réunion
    elsewhere = places.refine_with_buyer(places.from_decp("73", "Code département"), "Ville de Lyon")
    assert elsewhere.commune_insee is None  # a buyer outside the lot's department does not move the point
