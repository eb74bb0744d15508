"""The supplier index built once and kept (procure.matching.store), and the fast paths of matching over a national
directory, on the real ASP list of SIAE and the real lots of the development DCE (their expected.yaml)."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
import yaml

from procure import law
from procure.directory.suppliers import ASP_SIAE, SupplierRepository, open_table, parse_rows
from procure.matching import place as places
from procure.matching import store
from procure.matching.match import LotQuery, SupplierIndex, activity_stems, activity_text

LEVERS = ["insertion_clause", "reserved_siae", "reserved_disability", None]


@pytest.fixture(scope="module")
def real_siae():
    import os
    from pathlib import Path

    path = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
    path = path / "siae" / "siae_asp_2019_07.csv"
    if not path.is_file():
        pytest.skip("liste ASP des SIAE absente (PROCURE_SHARED_DATA)")
    _, rows = open_table(path)
    suppliers, _ = parse_rows(rows, ASP_SIAE, "ASP 2019", date(2019, 7, 1))
    return suppliers


def real_lots(shared_data, count: int = 20) -> list[LotQuery]:
    """Lots of the real tenders as their expected.yaml describes them: words of the title, CPV, place, amount;
    levers and reference dates cycled so that every eligibility rule is asked for."""
    queries = []
    for folder in sorted((shared_data / "dce-real").iterdir()):
        expected = folder / "expected.yaml"
        if not expected.is_file():
            continue
        data = yaml.safe_load(expected.read_text(encoding="utf-8")) or {}
        place = _place(data.get("place") or {})
        for lot in data.get("lots") or []:
            words = list(lot.get("title_keywords") or []) + list(data.get("object_keywords") or [])[:2]
            if place is None or not words:
                continue
            cpv = (lot.get("cpv") or [None])[0]
            amount = lot.get("amount_ht")
            lever = LEVERS[len(queries) % len(LEVERS)]
            queries.append(LotQuery(" ".join(words), str(cpv) if cpv else None, place=place, lever=lever,
                                    amount_ht=Decimal(str(amount)) if amount else None,
                                    law_on=[date(2020, 6, 1), date(2024, 3, 1), None][len(queries) % 3]))
            if len(queries) == count:
                return queries
    return queries


def _place(data: dict):
    from procure.reference.geo import commune_by_insee

    insee = [code for code in data.get("insee") or [] if code]
    commune = commune_by_insee(str(insee[0])) if insee else None
    if commune is not None and commune.latitude is not None:
        return places.from_commune(commune)
    if data.get("department"):
        return places.from_department(str(data["department"]))
    if data.get("scope") == "national":
        return places.national()
    return None


def _seen(result) -> list:
    return [(m.supplier.siret, m.score, m.confidence, m.explanation_fr, m.distance_km) for m in result.ranked]


def test_the_prefiltered_matching_gives_the_full_path_s_matches_on_real_lots(real_siae, shared_data):
    index = SupplierIndex(real_siae)
    lots = real_lots(shared_data)
    assert len(lots) == 20 and {q.place.scope for q in lots} >= {places.COMMUNE, places.DEPARTMENT}
    ranked = 0
    for query in lots:
        fast, full = index.match(query, top=50), index.match(query, top=50, prefilter=False)
        assert _seen(fast) == _seen(full), query.title
        assert (fast.credible_count, fast.strong_count, fast.excluded_count) == \
            (full.credible_count, full.strong_count, full.excluded_count)
        assert [e.reason for e in fast.excluded()[:30]] == [e.reason for e in full.excluded()[:30]]
        ranked += len(fast.ranked)
    assert ranked > 100  # the lots do find structures: the comparison is not between empty lists
    # A radius lot: the candidates are a small part of the country, and contain every structure kept.
    commune_lot = next(q for q in lots if q.place.scope == places.COMMUNE)
    candidates = index.candidates(commune_lot)
    kept = np.setdiff1d(np.arange(len(real_siae)), index.match(commune_lot, top=0)._excluded_indices)
    assert len(candidates) < len(real_siae) / 4 and set(kept) <= set(candidates)


def test_the_activity_index_equals_a_tfidf_fitted_on_every_structure(real_siae):
    from sklearn.feature_extraction.text import TfidfVectorizer

    index = SupplierIndex(real_siae)
    vectorizer = TfidfVectorizer(analyzer=activity_stems, sublinear_tf=True, min_df=1)
    expected = vectorizer.fit_transform([activity_text(s) or "-" for s in real_siae])
    assert index.vectorizer.vocabulary_ == vectorizer.vocabulary_
    assert np.allclose(index.vectorizer.idf_, vectorizer.idf_)
    assert abs(index.matrix - expected).max() < 1e-12


def test_vectorised_eligibility_equals_the_loop_on_every_lever_and_date(real_siae):
    index = SupplierIndex(real_siae)
    levers = law.levers()
    days = {date.today(), date(2019, 7, 1)}
    for lever in levers.values():
        for rule in lever.eligibility:
            days |= {rule.since, date.fromordinal(rule.since.toordinal() + 1)}
    checked = 0
    for lever_id in [*levers, None]:
        for day in sorted(days):
            try:
                expected = index.eligibility_loop(lever_id, day)
            except Exception:  # noqa: BLE001 - a lever not yet in force at that date: both must refuse it
                with pytest.raises(Exception):  # noqa: B017
                    index.eligibility(lever_id, day)
                continue
            weight, admitted = index.eligibility(lever_id, day)
            assert np.array_equal(weight, expected[0]) and np.array_equal(admitted, expected[1]), (lever_id, day)
            checked += 1
    assert checked >= 2 * len(levers)
    assert not index.eligibility("reserved_disability", date(2024, 1, 1))[1].all()  # kinds refused: not trivial


def _import(sessions, suppliers):
    return SupplierRepository(sessions).upsert(suppliers)


def test_the_supplier_index_is_built_once_and_rebuilt_after_an_import(sessions, real_siae):
    from dataclasses import replace

    from procure.service.pipeline import Pipeline

    store.forget()
    assert store.supplier_index(sessions) is None  # empty directory
    _import(sessions, real_siae[:1500])
    builds = store.BUILDS["count"]
    pipeline = Pipeline(sessions)
    first = pipeline._supplier_index([])
    assert store.BUILDS["count"] == builds + 1 and len(first.suppliers) == 1500
    assert pipeline._supplier_index([]) is first and Pipeline(sessions)._supplier_index() is first
    assert store.BUILDS["count"] == builds + 1  # nothing changed: not rebuilt

    _import(sessions, real_siae[1500:1600])  # an import adds structures
    second = pipeline._supplier_index([])
    assert store.BUILDS["count"] == builds + 2 and len(second.suppliers) == 1600

    changed = replace(real_siae[10], activities="Menuiserie et ébénisterie d'art")  # an update in place
    _import(sessions, [changed])
    third = pipeline._supplier_index([])
    assert store.BUILDS["count"] == builds + 3 and len(third.suppliers) == 1600
    assert any(s.siret == changed.siret and s.activities == changed.activities for s in third.suppliers)

    store.forget()  # the process forgets: the index is read back from the procure home, not rebuilt
    again = pipeline._supplier_index([])
    assert store.BUILDS["count"] == builds + 3 and again is not third
    query = real_lots_query()
    assert _seen(again.match(query)) == _seen(third.match(query))


def real_lots_query() -> LotQuery:
    from procure.reference.geo import commune_by_insee

    return LotQuery("Entretien des espaces verts", "77310000", place=places.from_commune(commune_by_insee("69123")),
                    lever="insertion_clause")


def test_the_kept_indexes_survive_a_process_restart(tmp_path, real_siae, monkeypatch):
    """A second process on the same database and home reads both indexes from disk: no build at all."""
    import pandas as pd

    from procure.db import make_engine, migrate, session_factory
    from procure.market import similar

    url = f"sqlite:///{tmp_path / 'restart.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    _import(sessions, real_siae[:800])
    contracts = pd.DataFrame([{"id": f"R{i}", "objet": f"Entretien des espaces verts, secteur {i}", "montant": 1000.0 * i,
                               "cpv": "77310000", "division": "77", "procedure": "", "year": 2021, "acheteur_id": "1",
                               "acheteur_nom": "Ville de Lyon", "lieu_code": "69", "titulaires": real_siae[i].siret,
                               "social": "clause" if i % 2 else "", "source_format": "test"} for i in range(40)])
    similar.ContractRepository(sessions).import_frame(contracts)
    assert store.supplier_index(sessions).awards is not None and similar.comparable_index(sessions) is not None
    script = ("import sys; from procure.db import make_engine, session_factory; from procure.matching import store; "
              "from procure.market import similar; s = session_factory(make_engine(sys.argv[1])); "
              "i = store.supplier_index(s); c = similar.comparable_index(s); "
              "print(store.BUILDS['count'], similar.BUILDS['count'], len(i.suppliers), c.size)")
    done = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["0", "0", "800", "40"], done.stderr
