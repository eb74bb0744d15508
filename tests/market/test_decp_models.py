"""Real contracts (DECP): cleaning, the 2024 format, the CPV classifier and similar contracts."""
import json
import subprocess
import sys

import pandas as pd
import pytest
from decp_records import record

import dce
from procure.extract import analyze
from procure.market import classifier
from procure.market.decp import read_2024_json, read_flat_csv, repair_text, social_from_text, social_share_by_division
from procure.market.similar import ContractRepository, SimilarIndex


@pytest.fixture
def decp_2024(tmp_path, shared_data):
    import jsonschema

    data = {"marches": {"marche": [
        record("2025-001", "Travaux de peinture des écoles", "45442100", ["Clause sociale", "Critère social"]),
        record("2025-002", "Entretien des espaces verts", "77310000", ["Marché réservé"]),
        record("2025-003", "Conseil juridique", "79111000", ["Pas de considération sociale"]),
    ]}}
    schema = json.loads((shared_data / "decp" / "schema_decp_v2.0.2.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)  # the records really are in the 2024 format
    path = tmp_path / "decp-2024.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_2024_format_reads_social_considerations(decp_2024):
    frame = read_2024_json(decp_2024)
    assert list(frame["social"]) == ["clause,criterion", "reserved", ""]
    assert list(frame["division"]) == ["45", "77", "79"] and frame["year"].iloc[0] == 2025


def test_flat_2019_export_is_cleaned(with_cpv):
    from procure.reference.cpv import load_nomenclature

    frame = read_flat_csv(with_cpv / "decp" / "decp_2018_2021_train.csv.gz")
    assert 8000 < len(frame) < 8686  # duplicates removed
    assert not frame["objet"].str.contains("\ufffd").any()
    assert frame["division"].notna().mean() > 0.98  # codes absent from the CPV nomenclature are dropped
    known = set(load_nomenclature().check_digits)
    assert frame["cpv"].dropna().isin(known).all()
    assert frame.duplicated(subset=["id", "objet", "montant"]).sum() == 0
    shares = social_share_by_division(frame)
    assert shares.loc["45", "contracts"] > 2000 and 0 <= shares["share"].max() <= 1


def test_text_repairs_and_social_mentions():
    assert repair_text("Soci\ufffdt\ufffd  de livraison") == "Société de livraison"
    assert social_from_text("Marché réservé aux ESAT") == ["reserved"]
    assert social_from_text("Travaux avec clause d'insertion") == ["clause"]
    assert social_from_text("Fourniture de papier") == []


def test_split_never_shares_an_object_between_train_and_test():
    frame = pd.DataFrame({"objet": [f"Objet {i % 40}" for i in range(400)], "division": ["45"] * 400})
    train, test = classifier.split(frame)
    assert not set(train["objet"]) & set(test["objet"]) and len(test) > 0


@pytest.mark.slow  # fits the model on the real DECP file
def test_training_command_writes_model_and_card(tmp_path, shared_data):
    sample = pd.read_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz", dtype=str).sample(2500, random_state=1)
    data = tmp_path / "sample.csv"
    sample.to_csv(data, index=False)
    out = tmp_path / "models"
    result = subprocess.run([sys.executable, "-m", "procure.cli", "models", "train", "--data", str(data), "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "cpv_classifier.metrics.json").read_text())
    assert 0.3 < metrics["division_top1"] <= metrics["division_top3"] <= 1
    card = (out / "MODEL_CARD.md").read_text()
    assert "Résultats sur le test mis de côté" in card and "Limites connues" in card
    assert classifier.load(str(out / classifier.MODEL_FILE))["division"].temperature > 0


@pytest.mark.parametrize("text, division", [("Travaux de peinture intérieure des écoles", "45"),
                                            ("Fourniture de vêtements de travail", "18"),
                                            ("Entretien des espaces verts de la commune", "77")])
def test_committed_model_predicts_obvious_divisions(text, division):
    prediction = classifier.predict(text)
    assert prediction.division == division and prediction.group.startswith(division)
    assert 0.5 < prediction.division_probability <= 1


def test_array_model_scores_as_the_scikit_learn_pipeline(shared_data):
    """The shipped NumPy inference gives the probabilities of the scikit-learn pipeline it was exported from,
    on real DECP objects the pipeline never saw."""
    import numpy as np

    from procure.text.normalize import fold

    frame = pd.read_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz", dtype=str).dropna(subset=["objet", "codeCPV"])
    frame["division"], frame["group"] = frame["codeCPV"].str[:2], frame["codeCPV"].str[:3]
    fit_texts = frame["objet"].iloc[:1500].map(fold).values
    vectorizer = classifier._features().fit(fit_texts)
    features = vectorizer.transform(fit_texts)
    fitted = {"vectorizer": vectorizer, "keep": 0.08, "trained_on": "test", "train_rows": 1500, "test_rows": 0, "seed": 0}
    for level in ("division", "group"):
        fitted[level] = classifier.SparseLevel(*classifier._linear(features, frame[level].iloc[:1500].values, 0.08), 0.2)
    shipped = classifier.to_arrays(fitted)
    unseen = list(frame["objet"].iloc[1500:1900]) + ["Entretien des espaces verts — Lot n°2", "ÉCOLE  ", "a"]
    expected_features = vectorizer.transform([fold(t) for t in unseen])
    for level in ("division", "group"):
        expected = classifier.softmax(fitted[level].scores(expected_features), 0.2)
        got = shipped[level].proba_features(classifier._transform(shipped, unseen))
        assert list(shipped[level].classes) == list(fitted[level].classes)
        np.testing.assert_allclose(got, expected, atol=1e-9)


def test_committed_model_predicts_without_scikit_learn():
    probe = ("import sys; from procure.market import classifier; p = classifier.predict('Fourniture de vêtements de travail');"
             "print(p.division, sorted(m for m in ('sklearn', 'joblib', 'scipy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    division, loaded = result.stdout.split(" ", 1)
    assert division == "18" and loaded.strip() == "[]"


def test_committed_model_card_reports_held_out_figures():
    metrics = json.loads((classifier.MODELS_DIR / "cpv_classifier.metrics.json").read_text())
    assert metrics["test_rows"] > 1000 and metrics["division_top1"] > 0.7
    assert (classifier.MODELS_DIR / classifier.MODEL_FILE).stat().st_size < 10 * 1024 * 1024


def test_extraction_predicts_missing_cpv_and_doubts_unlikely_ones(tmp_path):
    path = dce.write_docx(tmp_path / "rc.docx", [
        (dce.H, "Lot n° 1 : Entretien des espaces verts des écoles"), (dce.P, "Montant estimé : 120 000 € HT"),
        (dce.H, "Lot n° 2 : Fourniture de papier pour photocopieurs"), (dce.P, "Code CPV : 45442100-8")])
    lot1, lot2 = analyze([path]).lots
    assert lot1.predicted_cpv.value["division"] == "77" and lot1.predicted_cpv.value["division_probability"] > 0.5
    assert lot1.cpv_doubt is None and lot2.predicted_cpv is None
    assert "division 45" in lot2.cpv_doubt


def test_similar_contracts_import_and_evidence(sessions, decp_2024, shared_data):
    repository = ContractRepository(sessions)
    flat = read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz")
    assert repository.import_frame(read_2024_json(decp_2024)) == {"added": 3, "unchanged": 0}
    assert repository.import_frame(read_2024_json(decp_2024)) == {"added": 0, "unchanged": 3}
    repository.import_frame(flat.head(2000))
    index = SimilarIndex(repository.frame())
    similar = index.similar("Peinture intérieure des écoles", "45442100", 150000, top=3)
    assert similar[0].objet == "Travaux de peinture des écoles" and similar[0].social == ["clause", "criterion"]
    assert "clause sociale, critère social" in similar[0].describe_fr()
    count, share = index.social_share("77")
    assert count >= 1 and 0 < share <= 1


CONSOLIDATED = "decp-2024/decp_consolidated_tabular_2024H2_travaux_sample.csv"
SOCIAL_VALUES = {"Sans objet": "", "Clause sociale, Critère social": "clause,criterion", "Marché réservé": "reserved",
                 "Clause sociale": "clause"}


def test_consolidated_extract_without_object_is_refused_in_french(shared_data):
    """The real extract of data.gouv's consolidated decp.csv kept 17 columns, not `objet`: a clear refusal."""
    from procure.errors import ProcureError

    with pytest.raises(ProcureError) as error:
        read_flat_csv(shared_data / CONSOLIDATED)
    assert "colonne(s) absente(s) : objet" in error.value.message_fr and "marchés comparables" in error.value.message_fr


def test_consolidated_decp_csv_is_read_per_contract(shared_data, sessions, tmp_path):
    """Real consolidated rows (one per contract and holder), given the two columns the full decp.csv has and the
    extract dropped: `objet`, and `considerationsSociales` as data.gouv writes it (comma-joined, « Sans objet »)."""
    raw = pd.read_csv(shared_data / CONSOLIDATED, dtype=str, keep_default_na=False)
    uids = list(dict.fromkeys(raw["uid"]))
    labels = list(SOCIAL_VALUES)
    given = {uid: labels[rank % len(labels)] for rank, uid in enumerate(uids)}
    raw["objet"] = "Travaux de bâtiment, marché " + raw["id"]
    raw["considerationsSociales"] = raw["uid"].map(given)
    path = tmp_path / "decp.csv"
    raw.to_csv(path, index=False)

    frame = read_flat_csv(path)
    assert len(raw) == 603 and len(frame) == len(uids) == 400
    assert frame.attrs["problems"] == [] and set(frame["source_format"]) == {"decp-consolide"}
    first = frame.iloc[0]
    assert (first["id"], first["acheteur_nom"], first["montant"], first["cpv"], first["year"]) == (
        "2023M23_81720", "COMMUNE DU MARIN (MAIRIE)", 122185.85, "45214200", 2024)
    by_key = {(row.acheteur_id, row.id): row for row in frame.itertuples()}
    for uid, rows in raw.groupby("uid"):
        row = by_key[(rows["acheteur_id"].iloc[0], rows["id"].iloc[0])]
        assert row.titulaires.split("|") == list(dict.fromkeys(rows["titulaire_id"]))  # every holder, once
        assert row.social == SOCIAL_VALUES[given[uid]]
    assert frame["titulaires"].str.contains("|", regex=False).sum() == 50  # the multi-holder contracts of the sample

    repository = ContractRepository(sessions)  # SQLite and PostgreSQL
    assert repository.import_frame(frame) == {"added": 400, "unchanged": 0}
    assert repository.import_frame(read_flat_csv(path)) == {"added": 0, "unchanged": 400}
    stored = repository.frame()
    assert len(stored) == 400 and (stored["social"] == "reserved").sum() == (frame["social"] == "reserved").sum() > 0


def test_consolidated_unknown_social_value_is_reported(tmp_path):
    path = tmp_path / "decp.csv"
    path.write_text("uid,id,objet,codeCPV,montant,dateNotification,acheteur_id,titulaire_id,considerationsSociales\n"
                    "1a,a,Travaux de voirie,45233140,1000,2024-05-02,1,41071771400035,Clause sociales\n"
                    "1b,b,Travaux de toiture,45261000,\"12 000,50\",2024-05-03,1,41071771400035,\"Clause sociale, Critère social\"\n",
                    encoding="utf-8")
    frame = read_flat_csv(path)
    assert list(frame["social"]) == ["", "clause,criterion"] and list(frame["montant"]) == [1000.0, 12000.5]
    (problem,) = frame.attrs["problems"]
    assert problem.startswith("ligne 2 (id a) : considération sociale « Clause sociales » inconnue")
