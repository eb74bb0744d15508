"""Facilitators' monthly statements: the shipped template, good and bad files, a mapped export, the merge."""
from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from procure.errors import ProcureError
from procure.followup.model import ContractType, PublicCategory, Route, Statement
from procure.followup.statements import (
    TEMPLATE_COLUMNS,
    TEMPLATE_DIR,
    merge_statements,
    read_statements,
    write_template_xlsx,
)

HEADER = list(TEMPLATE_COLUMNS.values())
KEYS = {"2026-014/lot1", "2026-014/lot2"}
TODAY = date(2026, 11, 20)


def _row(**values) -> list[str]:
    return [values.get(field, "") for field in TEMPLATE_COLUMNS]


def _csv(path, rows, separator=";", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator).writerows([HEADER] + rows)  # quotes « (AI, GEIQ) » when comma-separated
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("name", ["releve_mensuel.csv", "releve_mensuel.xlsx"])
def test_shipped_template_reads_as_documented(name):
    result = read_statements(TEMPLATE_DIR / name, name)
    assert result.problems == [] and result.rows_read == 3
    first, second, third = result.statements
    assert (first.commitment_key, first.month) == ("EXEMPLE-2026-014/lot1", date(2026, 1, 1))
    assert first.hours == {Route.DIRECT_HIRE: 120, Route.PROVISION_AI_GEIQ: 35, Route.TRAINING: 14}
    assert first.participants == {PublicCategory.LONG_TERM_JOBSEEKERS: 1, PublicCategory.RSA: 1,
                                  PublicCategory.YOUNG_UNQUALIFIED: 1}
    assert first.contracts == {ContractType.CDDI: 1, ContractType.CDI: 1}
    assert second.hours[Route.DIRECT_HIRE] == 150.5  # « 150,5 »
    assert third.hours == {Route.DIRECT_HIRE: 0}  # an explicit 0: a month without hours
    # the examples are refused as unknown lots once the real lots are given
    refused = read_statements(TEMPLATE_DIR / name, name, known_keys=KEYS)
    assert refused.statements == [] and all("inconnu" in p.message_fr for p in refused.problems)


def test_template_has_no_column_for_a_person_and_says_so():
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    assert "aucun nom" in readme and "fiche individuelle" in readme
    for column in HEADER:
        assert not any(word in column.lower() for word in ("nom", "prénom", "naissance", "adresse"))
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / "releve_mensuel.xlsx")
    notice = " ".join(str(c.value) for row in workbook["Mode d'emploi"].iter_rows() for c in row if c.value)
    assert "N'inscrivez aucun nom" in notice


def test_good_files_in_french_excel_and_comma_csv(tmp_path):
    rows = [_row(key="2026-014/lot1", month="03/2026", hours_direct_hire="1 234,5", hours_training="7",
                 participants_rsa="2", contracts_cddi="1"),
            _row(key="2026-014/lot2", month="2026-04", hours_subcontracting_siae="80.25")]
    for path, separator, encoding in ((tmp_path / "a.csv", ";", "cp1252"), (tmp_path / "b.csv", ",", "utf-8")):
        result = read_statements(_csv(path, rows, separator, encoding), path.name, known_keys=KEYS, today=TODAY)
        assert result.problems == []
        one, two = result.statements
        assert one.hours == {Route.DIRECT_HIRE: 1234.5, Route.TRAINING: 7.0} and one.hours_done == 1241.5
        assert one.participants == {PublicCategory.RSA: 2} and one.contracts == {ContractType.CDDI: 1}
        assert (two.month, two.hours) == (date(2026, 4, 1), {Route.SUBCONTRACTING_SIAE: 80.25})
        assert one.source == path.name
        as_bytes = read_statements(path.read_bytes(), path.name, known_keys=KEYS, today=TODAY)  # an upload
        assert as_bytes.statements == result.statements and as_bytes.problems == []


def test_bad_rows_are_reported_by_number_and_the_good_ones_kept(tmp_path):
    rows = [
        _row(key="2026-014/lot1", month="01/2026", hours_direct_hire="100"),          # row 2: good
        _row(key="2026-014/lot1", month="02/2026", hours_direct_hire="cent heures"),  # 3: text
        _row(key="2099-999/lot7", month="02/2026", hours_direct_hire="10"),           # 4: unknown lot
        _row(key="2026-014/lot1", month="12/2026", hours_direct_hire="10"),           # 5: future month
        _row(key="2026-014/lot1", month="03/2026", hours_temporary_work_etti="-12"),  # 6: negative
        _row(key="2026-014/lot1", month="13/2026", hours_direct_hire="10"),           # 7: no such month
        _row(key="", month="04/2026", hours_direct_hire="10"),                        # 8: no lot
        _row(key="2026-014/lot1", month="01/2026", hours_direct_hire="5"),            # 9: same lot and month as 2
        _row(key="2026-014/lot2", month="05/2026"),                                   # 10: no figure at all
        _row(key="2026-014/lot2", month="05/2026", participants_rsa="1,5"),           # 11: half a person
        _row(),                                                                       # 12: blank line, skipped
        _row(key="2026-014/lot2", month="novembre 2026", hours_training="3"),         # 13: good (this month)
        _row(key=" 2026-014/LOT 1", month="2026-10-01", hours_training="3"),         # 14: good, the known key
    ]
    result = read_statements(_csv(tmp_path / "r.csv", rows), "r.csv", known_keys=KEYS, today=TODAY)
    assert [(s.commitment_key, s.month) for s in result.statements] == [
        ("2026-014/lot1", date(2026, 1, 1)), ("2026-014/lot2", date(2026, 11, 1)), ("2026-014/lot1", date(2026, 10, 1))]
    problems = {p.row: p.message_fr for p in result.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "« cent heures » n'est pas un nombre" in problems[3] and "Heures embauche directe" in problems[3]
    assert "« 2099-999/lot7 » inconnu" in problems[4]
    assert "12/2026 à venir" in problems[5]
    assert "valeur négative" in problems[6] and "ETTI" in problems[6]
    assert "« 13/2026 » illisible" in problems[7]
    assert "référence du lot manquante" in problems[8]
    assert "déjà donné à la ligne 2" in problems[9]
    assert "aucun chiffre" in problems[10]
    assert "nombre entier" in problems[11]


def test_a_facilitators_own_export_through_a_mapping(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Opération", "Période", "Entreprise", "Heures salariés", "Heures ETTI", "Nb RSA", "Nb DELD",
                  "CDDI signés", "Observations"])
    sheet.append(["2026-014/lot1", "01/02/2026", "Bâtir", 140, 21.5, 1, 2, 1, "RAS"])
    sheet.append(["2026-014/lot2", "2026-02", "Propreté", 0, None, None, None, None, ""])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    mapping = {"key": "Opération", "month": "Période", "hours_direct_hire": "Heures salariés",
               "Heures intérim d'insertion (ETTI)": "Heures ETTI",  # a template column name works as the field
               "participants_rsa": "Nb RSA", "participants_long_term_jobseekers": "Nb DELD",
               "contracts_cddi": "CDDI signés"}
    result = read_statements(path.read_bytes(), "export.xlsx", mapping, known_keys=KEYS, today=TODAY)
    assert result.problems == []
    first, second = result.statements
    assert first.month == date(2026, 2, 1)
    assert first.hours == {Route.DIRECT_HIRE: 140, Route.TEMPORARY_WORK_ETTI: 21.5}
    assert first.participants == {PublicCategory.RSA: 1, PublicCategory.LONG_TERM_JOBSEEKERS: 2}
    assert first.contracts == {ContractType.CDDI: 1}
    assert second.hours == {Route.DIRECT_HIRE: 0}
    with pytest.raises(ProcureError, match="champ inconnu « heures_totales »"):
        read_statements(path, "export.xlsx", {"heures_totales": "Heures salariés"})
    with pytest.raises(ProcureError, match="colonne\\(s\\) introuvable\\(s\\) : Référence du lot"):
        read_statements(path, "export.xlsx")  # without the mapping: the template's columns are not there


def test_whole_file_failures_are_french_errors(tmp_path):
    (tmp_path / "vide.csv").write_bytes(b"")
    (tmp_path / "binaire.csv").write_bytes(b"\x00\x01\x02PK" * 100)
    (tmp_path / "ancien.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    (tmp_path / "entete.csv").write_text(";".join(HEADER) + "\n", encoding="utf-8")
    (tmp_path / "faux.xlsx").write_text("ceci n'est pas un classeur", encoding="utf-8")
    for name in ("vide.csv", "binaire.csv", "ancien.xls", "entete.csv", "faux.xlsx"):
        with pytest.raises(ProcureError) as error:
            read_statements(tmp_path / name, name)
        assert error.value.message_fr and "Traceback" not in error.value.message_fr


def _statement(key="2026-014/lot1", month=date(2026, 3, 1), hours=None, participants=None, contracts=None, source="a"):
    return Statement(key, month, hours or {}, participants or {}, contracts or {}, source)


def test_reimport_is_idempotent(tmp_path):
    rows = [_row(key="2026-014/lot1", month=f"{m:02d}/2026", hours_direct_hire=str(10 * m)) for m in range(1, 7)]
    path = _csv(tmp_path / "r.csv", rows)
    first = read_statements(path, "r.csv").statements
    stored, report = merge_statements([], first)
    assert (report.added, report.updated, report.unchanged) == (6, 0, 0)
    again, report = merge_statements(stored, read_statements(path, "r.csv").statements)
    assert again == stored and (report.added, report.updated, report.unchanged, report.kept) == (0, 0, 6, [])


def test_a_poorer_statement_never_erases_a_richer_one():
    rich = _statement(hours={Route.DIRECT_HIRE: 120.0, Route.TRAINING: 14.0}, participants={PublicCategory.RSA: 2},
                      contracts={ContractType.CDDI: 1}, source="relevé de mars")
    poorer = _statement(hours={Route.DIRECT_HIRE: 0.0}, source="export incomplet")
    merged, report = merge_statements([rich], [poorer])
    assert merged == [rich] and report.unchanged == 1 and report.updated == 0
    (kept,) = report.kept
    assert "« export incomplet » ne donne pas" in kept and "Heures embauche directe" in kept
    assert "Heures de formation" in kept and "relevé de mars" in kept and "03/2026" in kept
    # a richer or corrected file updates, and still keeps what it leaves empty
    corrected = _statement(hours={Route.DIRECT_HIRE: 110.0, Route.PROVISION_AI_GEIQ: 30.0}, source="relevé corrigé")
    merged, report = merge_statements([rich], [corrected])
    (result,) = merged
    assert report.updated == 1
    assert result.hours == {Route.DIRECT_HIRE: 110.0, Route.TRAINING: 14.0, Route.PROVISION_AI_GEIQ: 30.0}
    assert result.participants == {PublicCategory.RSA: 2} and result.contracts == {ContractType.CDDI: 1}
    assert result.source == "relevé de mars ; relevé corrigé"
    # other lots and months are untouched, new ones are added
    other = _statement(key="2026-014/lot2", hours={Route.TRAINING: 7.0})
    merged, report = merge_statements([rich], [other])
    assert merged == [rich, other] and report.added == 1
    assert "1 relevé(s) ajouté(s)" in report.summary_fr()


def test_template_xlsx_is_rebuilt_from_its_csv(tmp_path):
    from procure.followup.statements import build_template_xlsx

    rebuilt = build_template_xlsx(path=tmp_path / "modele.xlsx")
    ours = read_statements(rebuilt, "modele.xlsx").statements
    shipped = read_statements(TEMPLATE_DIR / "releve_mensuel.xlsx", "releve_mensuel.xlsx").statements
    assert [(s.commitment_key, s.month, s.hours, s.participants, s.contracts) for s in ours] == \
           [(s.commitment_key, s.month, s.hours, s.participants, s.contracts) for s in shipped]
    assert write_template_xlsx(tmp_path / "vide.xlsx").is_file()
