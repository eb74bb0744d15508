"""DECP at national size, on the real samples: the streamed reader (CSV, .gz, Parquet, JSON) against the whole-file
readers, the import into the database and the Parquet store (idempotent, nothing written on a bad file), and the
dashboard's DuckDB figures against an independent pandas computation on the same rows."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from procure.errors import ProcureError
from procure.market import analytics
from procure.market.decp import import_decp, read_2024_json, read_flat_csv, read_streamed
from procure.market.similar import ContractRepository

CONSOLIDATED = "decp-2024/decp_consolidated_tabular_2024H2_travaux_sample.csv"
FLAT = "decp/decp_2018_2021_train.csv.gz"
EXAMPLES = "decp-2024/official_examples_fictitious"
# Values of considerationsSociales as decp.csv writes them; the last one is unknown (reported, contract kept).
SOCIAL_VALUES = ["Sans objet", "Clause sociale, Critère social", "Marché réservé", "Clause sociale", "Clause sociales"]
SOCIAL_LABELS = {"Clause sociale, Critère social", "Marché réservé", "Clause sociale"}
NATURES = ["Marché", "Accord-cadre", "Marché subséquent"]
COMPARED = ["id", "objet", "cpv", "division", "procedure", "montant", "duree_mois", "year", "acheteur_id",
            "acheteur_nom", "lieu_code", "titulaires", "social", "source_format"]


@pytest.fixture
def consolidated(shared_data, tmp_path):
    """The real consolidated rows (one per contract and holder) with the columns the full decp.csv has and the
    extract dropped (objet, considerationsSociales, nature), rows shuffled so that a contract's holders are apart."""
    raw = pd.read_csv(shared_data / CONSOLIDATED, dtype=str, keep_default_na=False)
    uids = list(dict.fromkeys(raw["uid"]))
    given = {uid: SOCIAL_VALUES[rank % len(SOCIAL_VALUES)] for rank, uid in enumerate(uids)}
    raw["objet"] = "Travaux de bâtiment, marché " + raw["id"]
    raw["considerationsSociales"] = raw["uid"].map(given)
    raw["nature"] = raw["uid"].map({uid: NATURES[rank % 3] for rank, uid in enumerate(uids)})
    raw = raw.sample(frac=1, random_state=7).reset_index(drop=True)
    path = tmp_path / "decp.csv"
    raw.to_csv(path, index=False)
    return path, raw


def _by_contract(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(["acheteur_id", "id"], drop=False).sort_index()[COMPARED]


def test_streamed_consolidated_csv_and_parquet_match_the_whole_file_reader(consolidated, tmp_path):
    path, raw = consolidated
    whole = read_flat_csv(path)
    streamed = read_streamed(path, batch_rows=64)  # many batches: holders of one contract in different chunks
    assert len(streamed) == len(whole) == raw["uid"].nunique() == 400
    pd.testing.assert_frame_equal(_by_contract(streamed), _by_contract(whole), check_dtype=False)
    assert sorted(streamed.attrs["problems"]) == sorted(whole.attrs["problems"])
    unknown = [p for p in streamed.attrs["problems"] if "« Clause sociales » inconnue" in p]
    assert len(unknown) == 80 and all(p.startswith("ligne ") and "(id " in p for p in unknown)
    assert set(streamed["nature"]) == set(NATURES)

    parquet = tmp_path / "decp.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{path}', all_varchar=true)) TO '{parquet}' (FORMAT parquet)")
    from_parquet = read_streamed(parquet, batch_rows=64)
    pd.testing.assert_frame_equal(_by_contract(from_parquet).drop(columns=["montant"]),
                                  _by_contract(whole).drop(columns=["montant"]), check_dtype=False)
    assert (_by_contract(from_parquet)["montant"].fillna(-1) == _by_contract(whole)["montant"].fillna(-1)).all()


def test_streamed_flat_gz_matches_the_whole_file_reader(shared_data):
    whole = read_flat_csv(shared_data / FLAT)
    streamed = read_streamed(shared_data / FLAT, batch_rows=1000)
    assert len(streamed) == len(whole) == 8328
    pd.testing.assert_frame_equal(streamed[COMPARED].reset_index(drop=True), whole[COMPARED].reset_index(drop=True),
                                  check_dtype=False)
    assert sorted(streamed.attrs["problems"]) == sorted(whole.attrs["problems"])
    assert streamed.attrs["duplicates"] == whole.attrs["duplicates"] == 354


@pytest.mark.parametrize("name", ["marches_avec_modifications.json", "marches_concessions.json"])
def test_streamed_json_matches_the_whole_file_reader(shared_data, name):
    path = shared_data / EXAMPLES / name
    whole, streamed = read_2024_json(path), read_streamed(path, batch_rows=1)
    assert len(streamed) == len(whole) > 0
    pd.testing.assert_frame_equal(streamed[COMPARED], whole[COMPARED], check_dtype=False)
    assert streamed.attrs["problems"] == whole.attrs["problems"]


def test_malformed_lines_reported_one_by_one_in_french(tmp_path):
    path = tmp_path / "decp.csv"
    path.write_text("uid,id,objet,codeCPV,montant,dateNotification,acheteur_id,titulaire_id,considerationsSociales\n"
                    "1a,a,Travaux de voirie,45233140,1000,2024-05-02,1,41071771400035,Sans objet\n"
                    "1b,b,Travaux de toiture,45261000,1000,2024-05-02,1,41071771400035,Sans objet,en trop\n"
                    "1c,c,Travaux de peinture,45442100,-5,31/02/2024,1,41071771400035,Clause sociale\n", encoding="utf-8")
    frame = read_streamed(path)
    assert list(frame["id"]) == ["a", "c"] and list(frame["social"]) == ["", "clause"]
    assert frame.attrs["problems"] == [
        "ligne 3 : 10 champs au lieu de 9 (ligne mal formée) : ignorée",
        "ligne 3 (id c) : montant « -5 » invalide : montant négatif (importé sans montant)",
        "ligne 3 (id c) : date « 31/02/2024 » invalide : ce jour n'existe pas (importé sans date de notification)"]


def test_import_is_idempotent_in_the_database_and_the_store(consolidated, shared_data, sessions, tmp_path):
    path, raw = consolidated
    store = analytics.ContractStore(tmp_path / "store")
    first = import_decp(path, sessions, store, batch_rows=64)
    assert (first.added, first.unchanged, first.store_added) == (400, 0, 400)
    again = import_decp(path, sessions, store, batch_rows=64)
    assert (again.added, again.unchanged, again.store_added) == (0, 400, 0)
    flat = import_decp(shared_data / FLAT, sessions, store)
    assert (flat.added, flat.store_added) == (8328, 8328)
    version = store.version()
    assert version.rows == 8728 and version.version == 2
    stored = ContractRepository(sessions).frame()
    assert len(stored) == 8728 and ContractRepository(sessions).version()[0] == 8728
    in_store = duckdb.sql(f"SELECT count(DISTINCT key) FROM read_parquet({analytics._files_sql(version.files)})").fetchall()
    assert in_store == [(8728,)]
    # The whole-file path (ContractRepository.import_frame) computes the same keys: nothing is added twice.
    assert ContractRepository(sessions).import_frame(read_flat_csv(path)) == {"added": 0, "unchanged": 400}


def test_a_file_that_fails_half_way_writes_nothing(sessions, tmp_path):
    records = [{"id": f"m{i}", "objet": f"Travaux de voirie numéro {i}", "codeCPV": "45233140", "montant": 1000 + i,
                "dateNotification": "2024-05-02", "acheteur": {"id": "1", "nom": "Ville"}} for i in range(50)]
    text = json.dumps({"marches": {"marche": records}}, ensure_ascii=False)
    path = tmp_path / "tronque.json"
    path.write_text(text[: len(text) * 3 // 4], encoding="utf-8")
    store = analytics.ContractStore(tmp_path / "store")
    with pytest.raises(ProcureError) as error:
        import_decp(path, sessions, store, batch_rows=10)  # several batches were inserted before the cut
    assert "JSON invalide (ligne 1, colonne" in error.value.message_fr
    assert ContractRepository(sessions).frame().empty and store.version().rows == 0


def _independent(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per contract (first row of its uid), social from the published value, straight from pandas."""
    contracts = raw.drop_duplicates("uid").copy()
    contracts["social"] = contracts["considerationsSociales"].isin(SOCIAL_LABELS)
    contracts["year"] = contracts["dateNotification"].str[:4].astype(int)
    contracts["division"] = contracts["codeCPV"].str[:2]
    contracts["montant"] = pd.to_numeric(contracts["montant"])
    return contracts


def test_dashboard_figures_match_an_independent_computation(consolidated, sessions, with_cpv, monkeypatch):
    from procure.service.dashboard import DecpFigures, clear_caches

    path, raw = consolidated
    import_decp(path, sessions)
    figures = DecpFigures(sessions)
    result = figures.dashboard()
    expected = _independent(raw)
    assert result.contracts == len(expected) == 400
    assert result.with_social == expected["social"].sum() and result.benchmark.observed == 0.187
    assert result.benchmark.observed_year == 2023 and result.benchmark.target == 0.30
    by_year = {int(row.label): (row.contracts, row.with_social) for row in result.by_year}
    assert by_year == {year: (len(g), int(g["social"].sum())) for year, g in expected.groupby("year")}
    by_division = {row.label[:2]: (row.contracts, row.with_social, round(row.share, 6)) for row in result.by_division}
    assert by_division == {d: (len(g), int(g["social"].sum()), round(g["social"].mean(), 6))
                           for d, g in expected.groupby("division")}
    assert {row.label: row.contracts for row in result.by_nature} == expected["nature"].value_counts().to_dict()
    buyers = figures.buyers(limit=1000)
    rows = figures.buyer_rows(buyers)
    usable = expected[expected["acheteur_nom"].map(lambda n: any(c.isalpha() for c in n))]
    top = usable.groupby(["acheteur_nom", "year"]).agg(n=("uid", "size"), s=("social", "sum"), a=("montant", "sum"))
    shown = {(r.label, r.year): (r.contracts, r.with_social, round(r.amount_ht, 2)) for r in rows}
    for (name, year), row in top.iterrows():
        if (name, year) in shown:
            assert shown[(name, year)] == (row["n"], row["s"], round(row["a"], 2))
    assert sum(r.contracts for r in rows) == 400
    assert figures.buyers("marin") == ["COMMUNE DU MARIN (MAIRIE)"]

    # Cached per store version: a second call asks DuckDB nothing; an import is seen at the next call.
    def refused():
        raise AssertionError("DuckDB queried again")

    monkeypatch.setattr(analytics, "_connect", refused)
    assert figures.dashboard() is result and figures.buyer_rows(buyers) == rows
    monkeypatch.undo()
    ContractRepository(sessions).import_frame(read_flat_csv(with_cpv / FLAT))  # the old path: the store catches up
    assert figures.dashboard().contracts == 400 + 8328
    clear_caches()
