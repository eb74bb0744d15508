"""The yearly consolidation: totals checked by independent arithmetic, then Word and XLSX rendered by LibreOffice."""
from __future__ import annotations

import random
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pdfplumber
import pytest

from procure import law
from procure.followup.consolidation import consolidate
from procure.followup.model import Commitment, ContractType, PublicCategory, Route, Statement, add_months
from procure.followup.report import write_consolidation_docx, write_consolidation_xlsx

R, P, C = Route, PublicCategory, ContractType


def _lot(key, buyer, start, months, department="94", epci="200054781", trade="travaux", **hours):
    return Commitment(key=key, buyer=buyer, lot_title=key, holder_siret=None, holder_name="Titulaire",
                      facilitator="Maison de l'emploi", start=start, duration_months=months, department=department,
                      epci=epci, trade=trade, **hours)


LOTS = [
    _lot("V/lot1", "Ville de Vitry", date(2025, 7, 1), 24, hours_per_year=1200),
    _lot("V/lot2", "Ville de Vitry", date(2026, 1, 1), 12, trade="nettoyage", hours_total=600),
    _lot("D/lot1", "Département 94", date(2024, 1, 1), 36, epci="200057867", hours_per_year=2400),
    _lot("M/lot1", "Montreuil", date(2026, 3, 1), 12, department="93", epci="200057867", trade="espaces verts",
         hours_per_year=360),
    _lot("X/lot1", "Ville de Vitry", date(2023, 1, 1), 12, hours_per_year=100),  # over before 2026
]


def _statement(key, month, hours, participants=None, contracts=None):
    return Statement(key, month, hours, participants or {}, contracts or {}, "test")


STATEMENTS = [
    _statement("V/lot1", date(2025, 12, 1), {R.DIRECT_HIRE: 999}),                      # 2025: another year
    _statement("V/lot1", date(2026, 1, 1), {R.DIRECT_HIRE: 100, R.TRAINING: 20}, {P.RSA: 2}, {C.CDDI: 1}),
    _statement("V/lot1", date(2026, 2, 1), {R.DIRECT_HIRE: 80}, {P.YOUNG_UNQUALIFIED: 1}, {C.CDD: 1}),
    _statement("V/lot2", date(2026, 1, 1), {R.SUBCONTRACTING_SIAE: 50.5}),
    _statement("V/lot2", date(2026, 2, 1), {R.SUBCONTRACTING_SIAE: 0}),
    _statement("D/lot1", date(2026, 6, 1), {R.TEMPORARY_WORK_ETTI: 300, R.PROVISION_AI_GEIQ: 100},
               {P.LONG_TERM_JOBSEEKERS: 3, P.DISABILITY: 1}, {C.TEMPORARY: 3, C.APPRENTICESHIP: 1}),
    _statement("M/lot1", date(2026, 2, 1), {R.DIRECT_HIRE: 40}),                        # before its start: left out
    _statement("M/lot1", date(2026, 4, 1), {R.DIRECT_HIRE: 30}, {P.PRIORITY_DISTRICT: 1}, {C.CDI: 1}),
    _statement("Z/lot9", date(2026, 4, 1), {R.DIRECT_HIRE: 500}),                       # no such commitment
]


def test_totals_by_hand():
    (row,) = consolidate(LOTS, STATEMENTS, 2026, "all")
    assert row.group == "Ensemble" and row.contracts == 4  # X/lot1 ended in 2023
    assert row.contracts_reporting == 4  # V/lot2 reported 50,5 h in January
    assert row.buyers == 3
    assert row.hours_done == pytest.approx(100 + 20 + 80 + 50.5 + 300 + 100 + 30)
    # due in 2026: V/lot1 12 months of 1 200 h/year (07/2025-06/2027); V/lot2 600 h over its 12 months; D/lot1 its
    # third year; M/lot1 10 months (03-12/2026) of 360 h/year
    assert row.hours_due == pytest.approx(1200 + 600 + 2400 + 360 * 10 / 12)
    assert row.fte_hours == 1607 and row.fte == pytest.approx(680.5 / 1607)
    parameter = law.parameter("fte_annual_hours", date(2026, 1, 1))
    assert row.fte_since == parameter.since and "1 607" in row.fte_source
    assert row.participants == {P.RSA: 2, P.YOUNG_UNQUALIFIED: 1, P.LONG_TERM_JOBSEEKERS: 3, P.DISABILITY: 1,
                                P.PRIORITY_DISTRICT: 1}
    assert row.contracts_by_type == {C.CDDI: 1, C.CDD: 1, C.TEMPORARY: 3, C.APPRENTICESHIP: 1, C.CDI: 1}
    assert row.hours_by_route == {R.DIRECT_HIRE: 210, R.TRAINING: 20, R.SUBCONTRACTING_SIAE: 50.5,
                                  R.TEMPORARY_WORK_ETTI: 300, R.PROVISION_AI_GEIQ: 100}
    assert row.route_share(R.TEMPORARY_WORK_ETTI) == pytest.approx(300 / 680.5)
    assert row.hours_by_trade == {"travaux": 600, "nettoyage": 50.5, "espaces verts": 30}
    assert row.trade_share("travaux") == pytest.approx(600 / 680.5)


def test_groups_by_buyer_department_and_epci():
    by_buyer = {r.group: r for r in consolidate(LOTS, STATEMENTS, 2026, "buyer")}
    assert list(by_buyer) == ["Département 94", "Montreuil", "Ville de Vitry"]
    assert by_buyer["Ville de Vitry"].contracts == 2 and by_buyer["Ville de Vitry"].hours_done == pytest.approx(250.5)
    by_department = {r.group: r for r in consolidate(LOTS, STATEMENTS, 2026, "department")}
    assert {g: r.hours_done for g, r in by_department.items()} == {"93": 30, "94": 650.5}
    by_epci = {r.group: r for r in consolidate(LOTS, STATEMENTS, 2026, "epci")}
    assert {g: r.contracts for g, r in by_epci.items()} == {"200054781": 2, "200057867": 2}
    assert consolidate(LOTS, STATEMENTS, 2019, "all") == []


def test_a_large_random_ledger_against_pandas():
    rng = random.Random(3)
    lots, statements = [], []
    for n in range(300):
        lot = _lot(f"L/{n}", f"Acheteur {n % 7}", add_months(date(2024, 1, 1), n % 30), 12 + n % 25,
                   department=str(90 + n % 5), trade=("travaux", "nettoyage", None)[n % 3], hours_per_year=600)
        lots.append(lot)
        for m in range(-2, lot.total_months + 2):
            month = add_months(lot.start, m)
            statements.append(_statement(lot.key, month, {rng.choice(list(R)): rng.randint(0, 90)},
                                         {rng.choice(list(P)): rng.randint(0, 2)}))
    frame = pd.DataFrame([{"key": s.commitment_key, "month": s.month, "hours": s.hours_done,
                           "people": sum(s.participants.values())} for s in statements])
    windows = pd.DataFrame([{"key": c.key, "department": c.department, "start": c.start, "end": c.end} for c in lots])
    frame = frame.merge(windows, on="key")
    inside = frame[(frame.month >= frame.start) & (frame.month < frame.end)
                   & (frame.month >= date(2025, 1, 1)) & (frame.month < date(2026, 1, 1))]
    expected = inside.groupby("department")[["hours", "people"]].sum()
    rows = {r.group: r for r in consolidate(lots, statements, 2025, "department")}
    for department, figures in expected.iterrows():
        assert rows[department].hours_done == pytest.approx(figures.hours)
        assert rows[department].participants_total == figures.people
    active = windows[(windows.start < date(2026, 1, 1)) & (windows.end > date(2025, 1, 1))]
    assert sum(r.contracts for r in rows.values()) == len(active)


@pytest.fixture(scope="module")
def libreoffice():
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice absent (scripts/install-system-deps.sh)")


def _pdf(path):
    profile = path.parent / ".lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(path.parent), str(path)], check=True, capture_output=True, timeout=180)
    pdf = path.with_suffix(".pdf")
    assert pdf.is_file()
    if shutil.which("pdftoppm"):  # pages to look at
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
    with pdfplumber.open(pdf) as document:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in document.pages), len(document.pages)


@pytest.mark.slow  # LibreOffice
def test_word_report_renders_in_libreoffice(libreoffice, tmp_path):
    # as the service gives them: the whole (« Ensemble ») first, then one row per buyer
    rows = consolidate(LOTS, STATEMENTS, 2026, "all") + consolidate(LOTS, STATEMENTS, 2026, "buyer")
    path = write_consolidation_docx(rows, 2026, "Val-de-Marne et Seine-Saint-Denis", tmp_path / "bilan.docx",
                                    generated=date(2026, 12, 2))
    text, pages = _pdf(path)
    flat = text.replace("\u202f", " ").replace("\u00a0", " ")
    assert 1 <= pages <= 6
    assert "Bilan 2026 des clauses sociales d'insertion" in flat.replace("’", "'")
    assert "Val-de-Marne et Seine-Saint-Denis" in flat
    assert "681 h" in flat and "1 361" not in flat  # 680,5 hours done, rounded half up; the whole not added twice
    assert "2. Par acheteur" in flat
    assert "0,4" in flat  # FTE: 680,5 / 1 607
    assert "Ville de Vitry" in flat and "Montreuil" in flat and "Département 94" in flat
    assert "Intérim d'insertion (ETTI)" in flat.replace("’", "'") and "44,1 %" in flat  # 300 / 680,5
    assert "1 607 heures" in flat and "01/01/2005" in flat
    assert "aucun nom" in flat and "aucune fiche individuelle" in flat
    assert "02/12/2026" in flat


def test_the_whole_given_with_groups_is_not_added_twice(tmp_path):
    rows = consolidate(LOTS, STATEMENTS, 2026, "all") + consolidate(LOTS, STATEMENTS, 2026, "epci")
    path = write_consolidation_xlsx(rows, 2026, tmp_path / "bilan.xlsx")
    sheet = openpyxl.load_workbook(path)["Bilan 2026"]
    assert sheet.cell(1, 1).value == "EPCI"
    body = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert list(body) == ["200054781", "200057867", "Ensemble"]
    assert body["Ensemble"][5] == pytest.approx(680.5) and body["Ensemble"][4] == 3  # three distinct buyers


def test_xlsx_report_has_numbers_and_french_headers(tmp_path):
    """Read back with openpyxl: numbers as numbers, French headers and number formats."""
    rows = consolidate(LOTS, STATEMENTS, 2026, "department")
    path = write_consolidation_xlsx(rows, 2026, tmp_path / "bilan.xlsx", group_label="Département")
    sheet = openpyxl.load_workbook(path)["Bilan 2026"]
    header = [c.value for c in sheet[1]]
    assert header[:10] == ["Département", "Année", "Lots avec clause", "Lots avec heures déclarées", "Acheteurs",
                           "Heures réalisées", "Heures dues", "ETP", "Contrats de travail", "Participants"]
    body = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert list(body) == ["93", "94", "Ensemble"]  # the whole, summed from the groups
    assert body["Ensemble"][5] == pytest.approx(680.5) and body["94"][5] == pytest.approx(650.5)
    assert body["Ensemble"][7] == pytest.approx(round(680.5 / 1607, 2))
    share = header.index("Part des heures : Intérim d'insertion (ETTI)")
    assert body["94"][share] == pytest.approx(300 / 650.5)
    assert sheet.cell(2, share + 1).number_format == "0.0%"
    assert sheet.cell(2, 6).number_format == "#,##0" and sheet.cell(2, 8).number_format == "#,##0.0"
    workbook = openpyxl.load_workbook(path)
    trades = {r[0]: r[1] for r in workbook["Heures par métier"].iter_rows(min_row=2, values_only=True)}
    assert trades == {"travaux": 600, "nettoyage": 50.5, "espaces verts": 30}
    method = " ".join(str(r[0]) for r in workbook["Méthode"].iter_rows(values_only=True))
    assert "1 607 h" in method and "aucun nom" in method


@pytest.mark.slow  # LibreOffice
def test_xlsx_report_renders_in_libreoffice_calc(libreoffice, tmp_path):
    """The workbook a working group sends on opens in a spreadsheet: every sheet printed by LibreOffice Calc."""
    if not Path("/usr/lib/libreoffice/program/libsclo.so").is_file():  # Calc's library, beside Writer's
        pytest.skip("LibreOffice Calc absent (scripts/install-system-deps.sh)")
    rows = consolidate(LOTS, STATEMENTS, 2026, "department")
    path = write_consolidation_xlsx(rows, 2026, tmp_path / "bilan.xlsx", group_label="Département")
    text, pages = _pdf(path)
    flat = text.replace("\u202f", " ").replace("\u00a0", " ").replace("’", "'")
    assert pages >= 2
    words = set(flat.split())
    for header in ("Département", "Lots avec clause", "Heures réalisées", "ETP", "Participants", "Acheteurs"):
        assert set(header.split()) <= words, header  # wrapped in their cells: each word printed whole
    assert "Ensemble" in flat and " 93 " in f" {flat} " and " 94 " in f" {flat} "
    assert "travaux" in flat and "espaces verts" in flat  # the hours per trade sheet
    assert "1 607 h" in flat and "aucun nom" in flat  # the method sheet
