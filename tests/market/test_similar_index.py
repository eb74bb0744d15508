"""The comparable-contracts index kept per version of the stored DECP (procure.market.similar.comparable_index),
on the real 2019 flat file and the real 2024 JSON sample."""
from __future__ import annotations

from procure.market import similar
from procure.market.decp import read_flat_csv
from procure.market.similar import ContractRepository, SimilarIndex, comparable_index


def test_comparable_contracts_index_is_built_once_kept_and_rebuilt_after_an_import(sessions, shared_data):
    repository = ContractRepository(sessions)
    flat = read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz")
    similar.forget_indexes()
    assert comparable_index(sessions) is None  # nothing stored
    repository.import_frame(flat.head(1500))
    builds = similar.BUILDS["count"]
    index = comparable_index(sessions)
    assert index.size == 1500 and comparable_index(sessions) is index and similar.BUILDS["count"] == builds + 1

    later = flat.iloc[1500:1800]
    repository.import_frame(later)  # an import: the index is rebuilt and sees the new contracts
    index = comparable_index(sessions)
    assert similar.BUILDS["count"] == builds + 2 and index.size == 1800
    newcomer = later.iloc[len(later) // 2]
    found = index.similar(newcomer["objet"], newcomer["cpv"], newcomer["montant"], top=3)
    assert found[0].objet == newcomer["objet"] and found[0].score > 1
    assert repository.import_frame(later)["added"] == 0  # nothing new: same version, same index
    assert comparable_index(sessions) is index and similar.BUILDS["count"] == builds + 2

    similar.forget_indexes()  # a new process: read from the procure home, not rebuilt
    again = comparable_index(sessions)
    assert again is not index and similar.BUILDS["count"] == builds + 2
    assert [c.objet for c in again.similar("Nettoyage des locaux", "90911200", 80000)] == \
        [c.objet for c in index.similar("Nettoyage des locaux", "90911200", 80000)]


def test_the_kept_index_finds_what_the_fitted_index_finds_on_the_real_contracts(sessions, shared_data):
    repository = ContractRepository(sessions)
    repository.import_frame(read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz").head(3000))
    kept, fitted = comparable_index(sessions), SimilarIndex(repository.frame())
    for division in sorted(set(repository.frame()["division"].dropna())):
        assert kept.social_share(division) == fitted.social_share(division)  # the same counts and shares
    shared = 0
    for title, cpv, amount in [("Nettoyage des locaux", "90911200", 80000), ("Entretien des espaces verts", "77310000", None),
                               ("Travaux de couverture", "45261210", 300000), ("Restauration scolaire", None, None),
                               ("Fourniture de mobilier scolaire", "39160000", 50000)]:
        ours = {c.objet for c in kept.similar(title, cpv, amount, top=5)}
        theirs = {c.objet for c in fitted.similar(title, cpv, amount, top=5)}
        assert ours, title
        shared += len(ours & theirs)
    assert shared >= 10  # words instead of character n-grams: mostly the same comparable contracts


def test_the_candidate_search_finds_what_scoring_every_contract_finds(sessions, shared_data):
    """similar() scores the contracts sharing a word or the division only: the same answer as scoring them all,
    on the objects of real contracts (other CPV, other amount) and on lots without a CPV."""
    repository = ContractRepository(sessions)
    flat = read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz")
    repository.import_frame(flat.head(4000))
    index = comparable_index(sessions)
    probes = flat.iloc[4000:4060]
    for number, row in enumerate(probes.itertuples()):
        cpv = [row.cpv, None, "45000000"][number % 3]
        amount = [row.montant, None, 12_000_000.0][number % 3]
        assert [(c.objet, c.score) for c in index.similar(row.objet, cpv, amount, top=5)] == \
            [(c.objet, c.score) for c in index.similar_everywhere(row.objet, cpv, amount, top=5)], row.objet
    assert index.similar("zzzz qqqq", None, None) == []  # no shared word, no CPV, no amount: nothing comparable
