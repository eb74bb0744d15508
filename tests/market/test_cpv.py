import csv
import gzip

from procure.reference.cpv import find_cpv_codes, load_nomenclature, normalize_cpv


def test_structural_repair_without_nomenclature(no_shared_cpv):
    assert load_nomenclature() is None
    code = normalize_cpv("9310000")
    assert (code.code, code.status) == ("09310000", "repaired")
    code = normalize_cpv("45262522-6")
    assert (code.full, code.status) == ("45262522-6", "unverified")
    assert normalize_cpv("452625226").full == "45262522-6"
    assert normalize_cpv("4526252") is None  # division 04 does not exist: not a lost zero
    assert normalize_cpv("hello") is None


def test_check_digits_verified_against_nomenclature(with_cpv):
    nomenclature = load_nomenclature()
    assert len(nomenclature.check_digits) > 9000
    assert normalize_cpv("45262522").status == "completed"
    assert normalize_cpv("45262522").full == "45262522-6"
    wrong = normalize_cpv("45262522-1")
    assert (wrong.full, wrong.status) == ("45262522-6", "wrong_check_digit")
    lost_zero = normalize_cpv("3451000")
    assert lost_zero.code == "03451000" and lost_zero.label
    assert normalize_cpv("99999999").status == "unknown"


def test_every_decp_code_normalises(with_cpv):
    """On the real DECP contracts, every non-empty CPV becomes a code of the nomenclature (or is flagged)."""
    path = with_cpv / "decp" / "decp_2018_2021_train.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        raws = [row["codeCPV"] for row in csv.DictReader(handle) if row["codeCPV"].strip()]
    codes = [normalize_cpv(raw) for raw in raws]
    known = [c for c in codes if c is not None and c.status != "unknown"]
    repaired = [c for c in codes if c is not None and c.status == "repaired"]
    assert len(raws) > 8000
    assert len(known) / len(raws) > 0.97
    assert len(repaired) >= 70  # the 7-digit codes whose leading zero was lost
    assert all(c.check_digit is not None for c in known)


def test_codes_found_in_text(no_shared_cpv):
    found = find_cpv_codes("Codes CPV : 45262522-6 et 45 442 100 ; téléphone 01/45262522")
    assert [c.code for c, _, _ in found] == ["45262522", "45442100"]
