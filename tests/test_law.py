from datetime import date

import pytest

from procure import law


def test_thresholds_are_dated_parameters():
    assert law.parameter("eu_threshold_supplies_services_local", date(2025, 12, 31)).value == 221000
    assert law.parameter("eu_threshold_supplies_services_local", date(2026, 1, 1)).value == 216000
    assert law.parameter("eu_threshold_works", date(2026, 6, 1)).value == 5404000
    assert law.parameter("spaser_threshold", date(2022, 12, 31)).value == 100_000_000
    assert law.parameter("spaser_threshold", date(2023, 1, 1)).value == 50_000_000
    assert law.parameter("national_threshold_supplies_services_no_competition", date(2026, 3, 31)).value == 40000
    assert law.parameter("national_threshold_supplies_services_no_competition", date(2026, 4, 1)).value == 60000


def test_lookup_before_first_value_is_an_error():
    with pytest.raises(LookupError):
        law.parameter("eu_threshold_works", date(2000, 1, 1))


def test_social_condition_obligation_starts_on_22_august_2026_and_is_flagged():
    assert law.parameter("social_execution_condition_mandatory", date(2026, 8, 21)).value is False
    rule = law.parameter("social_execution_condition_mandatory", date(2026, 8, 22))
    assert rule.value is True and rule.unverified
    assert "à vérifier" in rule.label_fr()


def test_every_lever_has_the_required_fields():
    levers = law.levers()
    assert set(levers) == {"insertion_clause", "reserved_disability", "reserved_siae", "reserved_ess",
                           "social_criterion", "ethical_purchasing", "fair_trade", "social_services_procedure"}
    old = {lever_id: lever.old_articles for lever_id, lever in levers.items()}
    assert old["insertion_clause"] == ["CMP 2006 art. 14"] and old["reserved_disability"] == ["CMP 2006 art. 15"]
    assert old["social_services_procedure"] == ["CMP 2006 art. 30"] and old["social_criterion"] == ["CMP 2006 art. 53 I"]
    for lever in levers.values():
        assert lever.articles and lever.source and lever.conditions and lever.template.strip()
        assert lever.in_force(date(2026, 9, 1)) and not lever.in_force(date(2010, 1, 1))


def test_template_keeps_missing_values_visible():
    paragraphs = law.levers()["insertion_clause"].render({"lot_numero": 2, "lot_intitule": "Peinture", "heures": "443"})
    text = "\n".join(paragraphs)
    assert "lot 2 : Peinture" in text and "443 heures" in text
    assert "[à compléter : facilitateur]" in text and "[à compléter : penalite]" in text


def test_labour_share_longest_prefix_and_defaults():
    on = date(2026, 9, 1)
    assert law.labour_share("45442100", "works", on)[:2] == (0.7, "Peinture intérieure")
    assert law.labour_share("45262522", "works", on)[:2] == (0.5, "Maçonnerie")
    assert law.labour_share("45223100", "works", on)[:2] == (0.2, "Charpente métallique")
    share, _, unverified, _ = law.labour_share("90911200", "services", on)
    assert share == 0.8 and unverified
    assert law.labour_share(None, "supplies", on)[1] == "Fournitures (autres)"
