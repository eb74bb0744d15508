"""The clause library: dated lookups, the lever registry, and validation of broken files with French errors."""
import shutil
from datetime import date
from pathlib import Path

import pytest

from procure import law
from procure.law import ClauseLibraryError
from procure.model import ProvisionKind

CLAUSES = Path(__file__).resolve().parents[2] / "clauses"


def test_thresholds_are_dated_parameters():
    assert law.parameter("eu_threshold_supplies_services_local", date(2025, 12, 31)).value == 221000
    assert law.parameter("eu_threshold_supplies_services_local", date(2026, 1, 1)).value == 216000
    assert law.parameter("eu_threshold_works", date(2026, 6, 1)).value == 5404000
    assert law.parameter("spaser_threshold", date(2022, 12, 31)).value == 100_000_000
    assert law.parameter("spaser_threshold", date(2023, 1, 1)).value == 50_000_000
    assert law.parameter("national_threshold_supplies_services_no_competition", date(2026, 3, 31)).value == 40000
    assert law.parameter("national_threshold_supplies_services_no_competition", date(2026, 4, 1)).value == 60000


def test_thresholds_by_buyer_category_and_nature():
    on = date(2026, 9, 1)
    assert [t.value for t in law.eu_thresholds("services", on)] == [140000, 216000, 432000]
    assert {t.value for t in law.eu_thresholds("works", on)} == {5404000}
    assert law.eu_threshold("local", "social_services", on).value == 750000
    entity = law.eu_threshold("contracting_entity", "social_services", on)
    assert entity.value == 1000000 and not entity.parameter.unverified  # directive 2014/25 art. 15 c), review point A6


def test_works_no_competition_threshold_history():
    values = [law.parameter("national_threshold_works_no_competition", day).value
              for day in (date(2020, 3, 1), date(2020, 9, 1), date(2023, 1, 1), date(2026, 1, 1))]
    assert values == [40000, 70000, 100000, 100000]
    assert not law.parameter("national_threshold_works_no_competition", date(2026, 1, 1)).unverified


def test_lookup_before_first_value_is_a_french_error():
    from procure.errors import ProcureError

    with pytest.raises(ProcureError, match="non défini au 01/01/2000 : les règles de clauses/ commencent le 01/01/2020"):
        law.parameter("eu_threshold_works", date(2000, 1, 1))


def test_tenders_of_2020_are_read_with_the_law_of_2020():
    # Real tenders of dce-real date from August 2020: no obligation then, thresholds of 2020-2021, sourced from the
    # delegated regulation of 2019 (law review A3: the flag is closed).
    assert law.parameter("social_execution_condition_mandatory", date(2020, 8, 13)).value is False
    threshold = law.parameter("eu_threshold_supplies_services_local", date(2020, 8, 13))
    assert threshold.value == 214000 and not threshold.unverified and "2019/1828" in threshold.reference


def test_social_condition_obligation_entry_into_force_is_read_from_clauses_and_flagged():
    start = law.entry_into_force("social_execution_condition_mandatory")
    assert start == date(2026, 8, 21)  # prudent date: Légifrance says 22 August, the decree's R-changes 21 August
    assert law.parameter("social_execution_condition_mandatory", date(2026, 8, 20)).value is False
    rule = law.parameter("social_execution_condition_mandatory", start)
    assert rule.value is True and rule.unverified and "à vérifier" in rule.label_fr()
    assert "22 août 2026" in rule.note and "21 août 2026" in rule.note
    assert law.parameter("social_execution_condition_exceptions", start).unverified  # memo blocked


def test_every_lever_has_the_required_fields():
    levers = law.levers()
    assert set(levers) == {kind.value for kind in ProvisionKind}
    old = {lever_id: lever.old_articles for lever_id, lever in levers.items()}
    assert old["insertion_clause"] == ["CMP 2006 art. 14"] and old["reserved_disability"] == ["CMP 2006 art. 15"]
    assert old["reserved_siae"] == []  # CMP art. 15 covered EA/ESAT only
    assert old["social_services_procedure"] == ["CMP 2006 art. 30"] and old["social_criterion"] == ["CMP 2006 art. 53 I"]
    for lever in levers.values():
        assert lever.articles and lever.source and lever.conditions and lever.template.strip() and lever.label
        assert lever.in_force(date(2026, 9, 1)) and not lever.in_force(date(2010, 1, 1))
        assert lever.eligibility_at(date(2026, 9, 1)).reference


def test_registry_gives_roles_detection_and_ways_to_comply():
    assert law.levers_with_role("reservation") == {"reserved_disability", "reserved_siae", "reserved_ess"}
    assert "social_services_procedure" not in law.levers_with_role("social_consideration")
    ways = sorted((lever for lever in law.levers().values() if lever.obligation), key=lambda lever: lever.obligation.rank)
    assert ways[0].id == "insertion_clause" and not ways[0].obligation.unverified
    assert all(lever.obligation.unverified for lever in ways[1:])
    assert "L2113-12" in law.lever("reserved_disability").detection.articles
    assert law.provision_labels()["reserved_ess"].startswith("Marché réservé ESS")


def test_eligibility_is_dated_and_defaults_without_lever():
    on = date(2026, 9, 1)
    assert law.eligibility("reserved_siae", on).admits == {"EI", "ETTI", "AI", "ACI", "EITI"}
    assert law.eligibility(None, on).weight("ESAT") == 1.0
    with pytest.raises(LookupError):
        law.eligibility("reserved_siae", date(2015, 1, 1))


def test_ilo_wording_and_hourly_cost_label():
    ethical = "\n".join(law.lever("ethical_purchasing").render({}))
    assert "conventions fondamentales" not in ethical and "138" in ethical and "182" in ethical
    assert "dix conventions fondamentales" in law.lever("ethical_purchasing").conditions
    assert "métier" in law.parameters()["loaded_hourly_cost"].description
    assert "insertion" not in law.parameters()["loaded_hourly_cost"].description


def test_glossary_corrections():
    rows = {old: new for old, _, new in law.glossary()}
    assert rows["CMP art. 15"].startswith("L2113-12") and "L2113-13" not in rows["CMP art. 15"]
    assert rows["Loi ASAP 2020 art. 141"] == "L2113-14"
    assert law.OLD_TO_NEW == law.glossary()


def test_template_keeps_missing_values_visible():
    paragraphs = law.lever("insertion_clause").render({"lot_numero": 2, "lot_intitule": "Peinture", "volume_phrase": "le titulaire réalise au minimum 443 heures de travail d’insertion."})
    text = "\n".join(paragraphs)
    assert "lot 2 : Peinture" in text and "443 heures" in text
    assert "[à compléter : facilitateur]" in text and "[à compléter : penalite]" in text


def test_unconfirmed_text_is_never_ready_to_sign():
    paragraphs = law.lever("reserved_ess").render({})
    assert paragraphs[0].startswith("[PROJET – À VÉRIFIER avant signature")
    assert any("trois ans" in p for p in paragraphs)


def test_labour_share_longest_prefix_and_defaults():
    on = date(2026, 9, 1)
    assert law.labour_share("45442100", "works", on)[:2] == (0.7, "Peinture intérieure")
    assert law.labour_share("45262522", "works", on)[:2] == (0.5, "Maçonnerie")
    assert law.labour_share("45223100", "works", on)[:2] == (0.2, "Charpente métallique")
    share, _, unverified, _ = law.labour_share("90911200", "services", on)
    assert share == 0.8 and unverified
    assert law.labour_share(None, "supplies", on)[1] == "Fournitures (autres)"


def test_shipped_library_is_valid():
    assert law.validate(CLAUSES) == []


# ---------------------------------------------------------------- broken libraries


@pytest.fixture
def broken(tmp_path, monkeypatch):
    """A copy of clauses/ that a test breaks; procure then reads it through PROCURE_CLAUSES."""
    folder = tmp_path / "clauses"
    shutil.copytree(CLAUSES, folder)
    monkeypatch.setenv("PROCURE_CLAUSES", str(folder))
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ClauseLibraryError) as raised:
        law.levers()
    return raised.value.problems


@pytest.mark.parametrize("old, new, expected", [
    ("id: reserved_siae", "id: reserved_sia", "levers/reserved_siae.yaml : id : « reserved_sia » différent du nom du fichier"),
    ("provision_kind: reserved_siae", "provision_kind: reserved_xx", "levers/reserved_siae.yaml : provision_kind : type de disposition inconnu « reserved_xx »"),
    ("effective: {from: 2016-04-01, to: null}", "effective: {from: 2016-13-01, to: null}", "levers/reserved_siae.yaml : effective.from : date invalide « 2016-13-01 »"),
    ("admits: [EI, ETTI, AI, ACI, EITI]", "admits: [EI, ETTI, AI, ACI, SIAE]", "levers/reserved_siae.yaml : eligibility[0].admits : type de structure inconnu « SIAE »"),
    ("articles: [L2113-13, R2113-7]", "articles: [L2113-13, article 15]", "levers/reserved_siae.yaml : articles : référence d'article invalide « article 15 »"),
    ("target_document: RC et avis", "target_documents: RC et avis", "levers/reserved_siae.yaml : target_documents : clé inconnue"),
    ("  articles: [\"L2113-13\"]", "  articles: L2113-13", "levers/reserved_siae.yaml : detection.articles : liste de textes attendue"),
    ("  phrases: [\"structures", "  phrase: [\"structures", "levers/reserved_siae.yaml : detection.phrase : clé inconnue"),
    ("    reference: \"CCP L2113-13 ; C. trav.", "    source: \"CCP L2113-13 ; C. trav.", "levers/reserved_siae.yaml : eligibility[0].reference : clé obligatoire absente"),
    ("roles: [social_consideration, reservation]", "roles: [social_consideration, reserve]", "levers/reserved_siae.yaml : roles : rôle inconnu « reserve »"),
    ("  rank: 3", "  rank: trois", "levers/reserved_siae.yaml : obligation.rank : entier ≥ 1 attendu"),
    ("    prefixes: [\"45\"", "    prefixes: [45", "levers/reserved_siae.yaml : cpv_families[0].prefixes : liste de textes attendue"),
])
def test_broken_lever_file_is_refused_with_file_key_and_problem(broken, old, new, expected):
    _edit(broken / "levers" / "reserved_siae.yaml", old, new)
    problems = _problems(broken)
    assert any(p.startswith(expected) for p in problems), problems
    assert all(p.split(" : ")[0] == "levers/reserved_siae.yaml" for p in problems)  # other files are fine


def test_yaml_syntax_error_names_the_file_and_line(broken):
    _edit(broken / "levers" / "fair_trade.yaml", "label: Commerce équitable", "label: [Commerce équitable")
    problems = _problems(broken)
    assert problems[0].startswith("fair_trade.yaml : ligne") and "YAML invalide" in problems[0]


def test_kind_without_lever_is_an_error_naming_the_file(broken):
    (broken / "levers" / "fair_trade.yaml").unlink()
    assert _problems(broken) == ["levers/fair_trade.yaml : - : fichier absent : le type de disposition « fair_trade » "
                                 "(ProvisionKind) n'a pas de levier"]


def test_lever_without_kind_is_an_error(broken):
    shutil.copy(broken / "levers" / "fair_trade.yaml", broken / "levers" / "fair_trade_bis.yaml")
    _edit(broken / "levers" / "fair_trade_bis.yaml", "id: fair_trade", "id: fair_trade_bis")
    assert _problems(broken) == ["levers/fair_trade_bis.yaml : provision_kind : « fair_trade » déjà porté par levers/fair_trade.yaml"]


@pytest.mark.parametrize("old, new, expected", [
    ("    2026-01-01: {value: 216000,", "    2026-01-01: {value: deux cent mille,", "parameters.yaml : eu_threshold_supplies_services_local.values.2026-01-01.value : montant positif attendu"),
    ("    2022-01-01: {value: 0.30,", "    2022-01-01: {value: 30,", "parameters.yaml : national_social_target.values.2022-01-01.value : taux entre 0 et 1 attendu"),
    ("    2023-01-01: {value: 50000000, reference: \"Décret 2022-767\"}", "    2023-01-01: {value: 50000000}", "parameters.yaml : spaser_threshold.values.2023-01-01.reference : clé obligatoire absente"),
    ("criteria_weighting_required:", "criteria_weighting:", "parameters.yaml : criteria_weighting_required : paramètre obligatoire absent"),
])
def test_broken_parameter_is_refused(broken, old, new, expected):
    _edit(broken / "parameters.yaml", old, new)
    with pytest.raises(ClauseLibraryError) as raised:
        law.parameters()
    assert any(p.startswith(expected) for p in raised.value.problems), raised.value.problems
    assert "Bibliothèque de clauses invalide" in str(raised.value)


def test_a_repeated_date_in_parameters_is_refused_naming_file_and_key(broken):
    """Code review D3: a repeated date silently replaced a threshold; the loader now refuses the file."""
    _edit(broken / "parameters.yaml", "    2026-01-01: {value: 216000,",
          "    2026-01-01: {value: 216000, reference: \"x\"}\n    2026-01-01: {value: 250000,")
    with pytest.raises(ClauseLibraryError) as raised:
        law.parameters()
    problems = raised.value.problems
    assert len(problems) == 1 and problems[0].startswith("parameters.yaml : 2026-01-01 : clé « 2026-01-01 » en double (lignes ")
    assert "la seconde valeur remplacerait la première" in problems[0]
    assert law.validate(broken) == problems


def test_a_repeated_key_in_a_lever_file_is_refused(broken):
    _edit(broken / "levers" / "fair_trade.yaml", "label: Commerce équitable", "label: Commerce équitable\nlabel: Équitable")
    assert any(p.startswith("levers/fair_trade.yaml : label : clé « label » en double") for p in _problems(broken))


def test_a_repeated_key_in_a_law_case_is_refused(tmp_path):
    from procure.law.cases import load_cases

    (tmp_path / "doublon.yaml").write_text('- name: "a"\n  date: 2026-09-01\n  date: 2026-10-01\n'
                                           '  lots: [{cpv: "90911200"}]\n  expected: {}\n', encoding="utf-8")
    cases, problems = load_cases(tmp_path)
    assert cases == [] and problems[0].startswith("tests/doublon.yaml : date : clé « date » en double (lignes 2 et 3)")


def test_cli_reports_a_broken_library_in_french_without_traceback(broken, tmp_path):
    import subprocess
    import sys

    import dce

    _edit(broken / "levers" / "reserved_siae.yaml", "admits: [EI, ETTI, AI, ACI, EITI]", "admits: [EI, XX]")
    files = dce.services_tender(tmp_path)
    result = subprocess.run([sys.executable, "-m", "procure.cli", "suggest", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "levers/reserved_siae.yaml : eligibility[0].admits : type de structure inconnu « XX »" in result.stderr
    assert "Traceback" not in result.stderr


def test_readme_lists_the_source_of_every_lever_and_parameter():
    readme = (CLAUSES / "README.md").read_text(encoding="utf-8")
    for name in list(law.parameters()) + list(law.levers()):
        assert f"`{name}`" in readme, f"clauses/README.md ne cite pas la source de {name}"
