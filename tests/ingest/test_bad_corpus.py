"""Issue #11, input side: a generated corpus of bad inputs (tests/bad_corpus.py) run through procure.

For each case: a French message for that input only (or a correct result), never a traceback, never a hang
(each in-process case runs under a deadline; heavy cases run in a subprocess with a timeout and a 4 GiB address
space limit), and the database unchanged after a refused import.
"""
from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import bad_corpus as corpus
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dce
from procure.errors import ProcureError
from procure.ingest import IngestError

FRENCH_WORDS = re.compile(r"\b(le|la|les|de|du|des|est|pas|un|une|fichier|document|classeur|ligne|invalide|attendu|"
                          r"refusé|illisible|trop|export|montant|date|SIRET|champ|dossier|nom|raison|sociale|page|lecture)\b", re.I)
PYTHON_LEAKS = re.compile(r"Traceback|Error\b|Exception|errno|\bNone\b|<[a-z_.]+ object at|File \"", re.I)


def assert_french(message: str) -> None:
    assert message and FRENCH_WORDS.search(message), f"message non français : {message!r}"
    assert not PYTHON_LEAKS.search(message), f"détail Python montré à l'utilisateur : {message!r}"


@contextmanager
def deadline(seconds: float):
    """Fail instead of hanging: a Python-level alarm interrupts a runaway case."""
    def expired(signum, frame):
        raise TimeoutError(f"cas non terminé en {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------------------------- tender pieces

INGEST = corpus.ingest_cases()


@pytest.mark.parametrize("case", INGEST, ids=[f"{c.klass}:{c.name}" for c in INGEST])
def test_tender_piece(case, tmp_path):
    """One bad piece fails alone, with a French message; the good piece beside it is read."""
    from procure.extract import read_files

    bad = case.build(tmp_path)
    good = dce.write_docx(tmp_path / "RC_bon.docx", dce.SERVICES_RC)
    with deadline(60):
        documents, problems = read_files([(bad, Path(str(bad)).name or "piece"), good])
    assert "RC_bon.docx" in [d.info.file for d in documents]
    own = [p for p in problems if p.file != "RC_bon.docx"]
    fatal = [p for p in own if p.fatal]
    for problem in own:
        assert_french(problem.message)
    if case.expect == "error":
        assert len(fatal) == 1, own
    else:
        assert not fatal, fatal
        (document,) = [d for d in documents if d.info.file != "RC_bon.docx"]
        assert document.blocks
        assert all(len(b.text) <= 100_000 for b in document.blocks)
        if case.expect == "warning":
            assert own


# The 5 MB paragraph is read above; its extraction (spaCy on 5 MB of prose) is linear but takes a minute.
@pytest.mark.parametrize("case", [c for c in INGEST if c.klass == "long-text" and "5 Mo" not in c.name and "courts" not in c.name], ids=lambda c: c.name)
def test_long_text_is_analysed_in_bounded_time(case, tmp_path):
    """Extraction (spaCy, amount patterns) runs on bounded passages: no max_length error, no quadratic crawl."""
    from procure.extract import analyze

    path = case.build(tmp_path)
    started = time.monotonic()
    with deadline(90):
        tender = analyze([path, *dce.services_tender(tmp_path)])
    assert not [p for p in tender.problems if p.fatal]
    assert tender.lots, "les pièces correctes de la consultation restent analysées"
    assert time.monotonic() - started < 90


def test_xlsx_piece_gives_blocks_and_tables(tmp_path):
    from procure.ingest import read_document

    doc = read_document(corpus.xlsx_workbook(tmp_path, "BPU_lot2.xlsx", corpus.BPU_ROWS, title="Lot 2"))
    assert doc.info.doc_type == "BPU"
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].text == "Feuille « Lot 2 »"
    assert doc.blocks[2].text == "1.1 | Nettoyage des bureaux | m² | 2,5"
    (table,) = doc.tables
    assert table.rows[0] == ["Code", "Désignation", "Unité", "Prix unitaire HT"] and len(table.rows) == 4
    assert [b.index for b in doc.blocks] == list(range(len(doc.blocks)))


def test_xlsx_row_limit_is_reported(tmp_path, monkeypatch):
    from procure.ingest import read_document, xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 50)
    doc = read_document(corpus.xlsx_workbook(tmp_path, "DQE.xlsx", [["Poste", i] for i in range(200)]))
    assert len(doc.tables[0].rows) == 50
    assert any("50 premières lignes" in w.message for w in doc.warnings)


def test_docx_merged_table_read_once_with_a_french_note(tmp_path):
    """3 000 rows of merged cells: read in bounded time (was: python-docx's quadratic walk, then a RecursionError),
    merged cells repeated as Word shows them, the table cut at the cap with a note that says where."""
    from procure.ingest import docx as docx_reader
    from procure.ingest import read_document

    with deadline(20):
        doc = read_document(corpus.merged_table_docx(tmp_path))
    (table,) = doc.tables
    assert len(table.rows) == docx_reader.MAX_TABLE_ROWS < 3001
    assert table.rows[0] == ["Lot", "Désignation", "Famille", "Prix HT"]
    assert table.rows[1500] == ["Lot 1 : Espaces verts", "Poste 1500 tonte et taille", "Famille 30", "1500,50 €"]
    assert [b.text for b in table.blocks] == [" | ".join(row) for row in table.rows]
    (note,) = doc.warnings
    assert note.message.startswith(f"Tableau 1 tronqué après {docx_reader.MAX_TABLE_ROWS} lignes (il en compte 3001)")
    assert not note.fatal
    assert_french(note.message)


def test_docx_cell_budget_per_document(tmp_path, monkeypatch):
    from procure.ingest import docx as docx_reader
    from procure.ingest import read_document

    monkeypatch.setattr(docx_reader, "MAX_DOCUMENT_CELLS", 1000)
    path = dce.write_docx(tmp_path / "RC.docx", [(dce.T, [[f"{r}", f"Poste {r}"] for r in range(300)])] * 3)
    doc = read_document(path)
    assert [len(t.rows) for t in doc.tables] == [300, 200]
    assert [w.message[:40] for w in doc.warnings] == ["Tableau 2 tronqué après 200 lignes (il e", "Tableau 3 non lu : le document contient "]


def test_legacy_spreadsheets_get_advice(tmp_path):
    from procure.ingest import read_document

    for path, words in ((corpus._ole(tmp_path, "bpu.xls", "Workbook".encode("utf-16-le")), ".xlsx"),
                        (corpus._opendocument(tmp_path, "bpu.ods", b"application/vnd.oasis.opendocument.spreadsheet"), ".xlsx")):
        with pytest.raises(IngestError) as error:
            read_document(path)
        assert words in error.value.message_fr and "non pris en charge" in error.value.message_fr


def test_ocr_document_budget_stops_scanned_pages(tmp_path, monkeypatch):
    """40 scanned pages: the per-document OCR time is bounded and the pages left are named."""
    from procure.ingest import ocr, read_document

    monkeypatch.setattr(ocr, "OCR_DOCUMENT_SECONDS", 0.5)
    path = tmp_path / "scan40.pdf"
    path.write_bytes(corpus.scanned_pdf(40))
    started = time.monotonic()
    with deadline(60):
        try:
            doc = read_document(path)
            messages = [w.message for w in doc.warnings]
        except IngestError as error:  # nothing read within the budget: the message says why
            messages = [error.message_fr]
    assert time.monotonic() - started < 60
    assert any("temps d'OCR" in m or "scann" in m for m in messages), messages


def test_ocr_page_budget_stop_names_the_page_count(tmp_path, monkeypatch):
    """40 scanned pages past the OCR page budget: the stop says how many pages were read out of how many."""
    from procure.ingest import ocr, read_document

    if not hasattr(ocr, "document_pages"):
        pytest.skip("pas encore de budget de pages OCR dans procure.ingest.ocr")
    if ocr.ocr_status() is not None:
        pytest.skip(f"OCR indisponible ici : {ocr.ocr_status()}")
    monkeypatch.setenv("PROCURE_OCR_MAX_PAGES", "2")
    path = tmp_path / "scan40.pdf"
    path.write_bytes(corpus.scanned_pdf(40))
    with deadline(60):
        doc = read_document(path)
    messages = [w.message for w in doc.warnings]
    assert any(re.search(r"\b2 page\(s\) scannée\(s\) lue\(s\).*\b40 pages\b", m) for m in messages), messages
    for message in messages:
        assert_french(message)
    for message in messages:
        assert_french(message)


def test_table_pass_failure_keeps_the_text(tmp_path, monkeypatch):
    """pdfminer (tables) rejects some files pdfium reads: the page text stays, with a French warning."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    from procure.ingest import read_document

    def rejects(*args, **kwargs):
        raise PDFSyntaxError("No /Root object! - Is this really a PDF?")

    monkeypatch.setattr(pdfplumber, "open", rejects)
    path = dce.write_pdf(tmp_path / "RC.pdf", [(dce.T, [["Lot", "Désignation", "Montant"], ["1", "Nettoyage", "120 000 €"]])])
    doc = read_document(path)
    assert any("Nettoyage" in b.text for b in doc.blocks)
    (warning,) = doc.warnings
    assert "Tableaux non lus" in warning.message and not warning.fatal


@pytest.mark.parametrize("name, expected", [
    ("RC.pdf", "RC.pdf"), ("C:\\Users\\a\\CCAP.docx", "CCAP.docx"), ("../../etc/passwd", "passwd"),
    ("nul\x00.pdf", "nul .pdf"), ("esc\x1b[31m.pdf", "esc [31m.pdf"), ("", "document"), ("\x00", "document"),
])
def test_safe_display_name(name, expected):
    from procure.ingest import safe_display_name

    assert safe_display_name(name) == expected


def test_safe_display_name_keeps_extension_of_long_names(tmp_path):
    from procure.ingest import read_document, safe_display_name

    long = "é" * 300 + ".pdf"
    safe = safe_display_name(long)
    assert len(safe) <= 200 and safe.endswith(".pdf")
    stored = tmp_path / "piece-0"  # how the service writes stored pieces before reading them
    stored.write_text("pas un pdf")
    with pytest.raises(IngestError) as error:
        read_document(stored, long)
    assert "extension .pdf" in error.value.message_fr


def test_render_scale_caps_huge_pages():
    from procure.ingest import ocr
    from procure.ingest.pdf import render_scale

    scale = render_scale(14400, 14400)
    assert (14400 * scale) ** 2 <= ocr.MAX_RENDER_PIXELS * 1.01
    assert render_scale(595, 842) == pytest.approx(300 / 72)


# ---------------------------------------------------------------------------------------------- directory


@pytest.fixture
def directory(tmp_path):
    from procure.db import make_engine, migrate, session_factory
    from procure.directory.suppliers import Supplier, SupplierRepository

    engine = make_engine(f"sqlite:///{tmp_path / 'annuaire.sqlite'}")
    migrate(engine)
    repository = SupplierRepository(session_factory(engine))
    repository.upsert([Supplier(corpus.VALID_SIRETS[2], "Déjà là", ["ESAT"], source="avant")])
    yield repository
    engine.dispose()


def snapshot(repository) -> list:
    return [(s.siret, s.name, s.kinds, s.commune_insee, s.source) for s in repository.all()]


SUPPLIER_FILES = corpus.supplier_file_cases()


@pytest.mark.parametrize("case", SUPPLIER_FILES, ids=[c.name for c in SUPPLIER_FILES])
def test_supplier_file_refused_leaves_directory_unchanged(case, tmp_path, directory):
    from procure.directory.suppliers import INCLUSION_MARKET, import_file

    path = case.build(tmp_path)
    before = snapshot(directory)
    with deadline(60), pytest.raises(ProcureError) as error:
        import_file(directory, path, INCLUSION_MARKET, "corpus")
    assert_french(error.value.message_fr)
    assert snapshot(directory) == before


ROWS = corpus.supplier_row_cases()


@pytest.mark.parametrize("klass, line, reason", ROWS, ids=[f"{k}:{i}" for i, (k, *_) in enumerate(ROWS)])
def test_supplier_bad_row_rejected_alone(klass, line, reason, tmp_path, directory):
    from procure.directory.suppliers import INCLUSION_MARKET, import_file

    path = corpus.supplier_csv(tmp_path, "annuaire.csv", [line, corpus.supplier_line(siret=corpus.VALID_SIRETS[1], name="Bonne")])
    with deadline(30):
        report = import_file(directory, path, INCLUSION_MARKET, "corpus")
    (rejected,) = [row for row in report.rows if row.status == "rejected"]
    assert reason in rejected.reason
    assert_french(rejected.reason)
    assert directory.get(corpus.VALID_SIRETS[1]).name == "Bonne"
    assert directory.get(corpus.VALID_SIRETS[0]) is None


@pytest.mark.parametrize("pairs, words", corpus.UNKNOWN_MAPPINGS)
def test_mapping_fields_are_checked(pairs, words):
    from procure.directory.suppliers import mapping_from_pairs

    with pytest.raises(ProcureError) as error:
        mapping_from_pairs(pairs)
    assert words in error.value.message_fr
    assert_french(error.value.message_fr)


def test_csv_bare_carriage_return_and_quotes(tmp_path, directory):
    from procure.directory.suppliers import INCLUSION_MARKET, import_file

    path = tmp_path / "cr.csv"
    path.write_bytes((corpus.HEADER + "\n" + corpus.supplier_line(name="Régie\rCréteil") + "\r\n"
                      + corpus.supplier_line(siret=corpus.VALID_SIRETS[1]) + "\n").encode())
    report = import_file(directory, path, INCLUSION_MARKET, "corpus")
    assert report.count("added") == 2
    assert directory.get(corpus.VALID_SIRETS[0]).name == "Régie Créteil"  # control characters become spaces


def test_reimport_from_another_source_merges(tmp_path, repository):
    """A poorer source adds what it knows and erases nothing: kinds united, location kept, sources side by side."""
    from procure.directory.suppliers import INCLUSION_MARKET, Mapping, import_file

    directory = repository  # SQLite and PostgreSQL

    first = corpus.supplier_csv(tmp_path, "inclusion.csv", [corpus.supplier_line(kind="EI", headcount="12")])
    import_file(directory, first, INCLUSION_MARKET, "Marché de l'inclusion")
    poorer = tmp_path / "esat.csv"
    poorer.write_text(f"siret;nom\n{corpus.VALID_SIRETS[0]};Régie Créteil\n", encoding="utf-8")
    report = import_file(directory, poorer, Mapping(siret="siret", name="nom", fixed_kind="ESAT"), "Liste ESAT")
    assert report.count("updated") == 1
    merged = directory.get(corpus.VALID_SIRETS[0])
    assert merged.kinds == ["EI", "ESAT"]
    assert merged.commune_insee == "94028" and merged.latitude and merged.headcount == 12
    assert merged.source == "Marché de l'inclusion ; Liste ESAT"
    again = import_file(directory, poorer, Mapping(siret="siret", name="nom", fixed_kind="ESAT"), "Liste ESAT")
    assert again.count("unchanged") == 1


# ---------------------------------------------------------------------------------------------- DECP


@pytest.fixture
def contracts(tmp_path):
    from procure.db import make_engine, migrate, session_factory
    from procure.market.similar import ContractRepository

    engine = make_engine(f"sqlite:///{tmp_path / 'decp.sqlite'}")
    migrate(engine)
    repository = ContractRepository(session_factory(engine))
    yield repository
    engine.dispose()


DECP_FILES = corpus.decp_file_cases()


@pytest.mark.parametrize("case", DECP_FILES, ids=[f"{c.klass}:{c.name}" for c in DECP_FILES])
def test_decp_file_refused(case, tmp_path, contracts):
    from procure.market.decp import read_any

    contracts.import_frame(read_any(corpus.decp_json(tmp_path, "bon.json", {"marches": [corpus.decp_record()]})))
    before = len(contracts.frame())
    path = case.build(tmp_path)
    with deadline(60), pytest.raises(ProcureError) as error:
        contracts.import_frame(read_any(path))
    assert_french(error.value.message_fr)
    assert len(contracts.frame()) == before


def test_decp_json_size_limit(tmp_path, monkeypatch):
    from procure.market import decp

    monkeypatch.setattr(decp, "MAX_JSON_BYTES", 10_000)
    path = corpus.decp_json(tmp_path, "gros.json", {"marches": [corpus.decp_record(str(i)) for i in range(100)]})
    with pytest.raises(ProcureError) as error:
        decp.read_any(path)
    assert "trop volumineux" in error.value.message_fr and "découpez" in error.value.message_fr


CONTRACTS = corpus.decp_contract_cases()


@pytest.mark.parametrize("klass, name, record, report", CONTRACTS, ids=[c[1] for c in CONTRACTS])
def test_decp_bad_contract_left_out_and_reported_in_french(klass, name, record, report, tmp_path, contracts):
    from procure.market.decp import read_any

    path = corpus.decp_json(tmp_path, "decp.json", {"marches": {"marche": [corpus.decp_record("bon"), record]}})
    frame = read_any(path)
    assert list(frame["id"]) == ["bon"]
    (problem,) = frame.attrs["problems"]
    assert problem.startswith(report) and problem.endswith(": ignoré"), problem
    assert_french(problem)
    assert frame.attrs["records"] == 2
    assert contracts.import_frame(frame) == {"added": 1, "unchanged": 0}


@pytest.mark.parametrize("name, record, social, amount", corpus.DECP_LENIENT, ids=[c[0] for c in corpus.DECP_LENIENT])
def test_decp_plain_variants_are_read(name, record, social, amount, tmp_path):
    """The consolidated export's comma-joined considerationsSociales ("Sans objet" for none), a bare list, an amount
    written « 150 000,50 »: read without remark."""
    from procure.market.decp import read_any

    frame = read_any(corpus.decp_json(tmp_path, "decp.json", {"marches": {"marche": [corpus.decp_record("bon"), record]}}))
    assert frame.attrs["problems"] == []
    (row,) = frame[frame["id"] != "bon"].itertuples()
    assert row.social == social and row.montant == amount


def test_decp_wrongly_typed_fields_reported_per_record_database_consistent(tmp_path):
    """A file mixing good contracts and contracts with wrongly typed fields, imported twice: one French line per bad
    contract (its rank, id and field), the good ones stored once, nothing half-written."""
    from procure.market.decp import read_any

    good = [corpus.decp_record(f"ok-{i}", objet=f"Travaux de voirie numéro {i}") for i in range(5)]
    bad = [corpus.decp_record("t", titulaires="41071771400035"), corpus.decp_record("a", acheteur="Ville de Vitry"),
           corpus.decp_record("o", objet=["Travaux"]), corpus.decp_record("c", considerationsSociales="Clause sociales")]
    path = corpus.decp_json(tmp_path, "decp.json", {"marches": {"marche": [good[0], bad[0], good[1], bad[1], bad[2],
                                                                            *good[2:], bad[3]]}})
    frame = read_any(path)
    problems = frame.attrs["problems"]
    assert problems[:3] == [
        "marché 2 (id t) : le champ « titulaires » devrait être une liste, c'est un texte : ignoré",
        "marché 4 (id a) : le champ « acheteur » devrait être un objet, c'est un texte : ignoré",
        "marché 5 (id o) : le champ « objet » devrait être un texte, c'est une liste : ignoré"]
    assert problems[3].startswith("marché 9 (id c) : considération sociale « Clause sociales » inconnue")  # kept
    assert len(problems) == 4
    assert sorted(frame["id"]) == ["c", *[f"ok-{i}" for i in range(5)]]
    from procure.db import make_engine, migrate, session_factory
    from procure.market.similar import ContractRepository

    engine = make_engine(f"sqlite:///{tmp_path / 'decp.sqlite'}")
    migrate(engine)
    repository = ContractRepository(session_factory(engine))
    assert repository.import_frame(frame) == {"added": 6, "unchanged": 0}
    assert repository.import_frame(read_any(path)) == {"added": 0, "unchanged": 6}
    stored = repository.frame()
    assert sorted(stored["id"]) == sorted(frame["id"]) and stored["objet"].str.len().gt(3).all()
    engine.dispose()


@pytest.mark.parametrize("klass, value, expected", corpus.DECP_AMOUNTS, ids=[repr(v)[:30] for _, v, _ in corpus.DECP_AMOUNTS])
def test_decp_amount_value_by_value(klass, value, expected, tmp_path):
    from procure.market.decp import parse_amount, read_any

    amount, problem = parse_amount(value)
    assert amount == expected
    if expected is None:
        assert_french(problem)
    path = corpus.decp_json(tmp_path, "m.json", {"marches": [corpus.decp_record("a", montant=value), corpus.decp_record("b", montant=5)]})
    frame = read_any(path)
    assert frame.loc[frame["id"] == "b", "montant"].item() == 5  # the other contract keeps its amount
    stored = frame.loc[frame["id"] == "a", "montant"].item()
    assert (pd.isna(stored) and expected is None) or stored == expected


@pytest.mark.parametrize("value, expected", corpus.DECP_DATES, ids=[repr(v) for v, _ in corpus.DECP_DATES])
def test_decp_date_value_by_value(value, expected):
    from procure.market.decp import parse_date

    parsed, problem = parse_date(value)
    assert (parsed.isoformat() if parsed else None) == expected
    if expected is None and value != "":
        assert_french(problem)


def test_one_french_date_does_not_spoil_the_column(tmp_path):
    from procure.market.decp import read_flat_csv

    header = "id,objet,codeCPV,procedure,montant,dureeMois,dateNotification,acheteur_id,acheteur_nom,lieu_code,lieu_typeCode,titulaires_siret"
    lines = [f"{i},Travaux de voirie numéro {i},45233140,Procédure adaptée,{1000 * i},12,{date},1,Ville,94,Code département,"
             for i, date in enumerate(["2023-01-15", "04/05/2023", "2023-02-20+01:00", "2022-11-30"], start=1)]
    path = tmp_path / "decp.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    frame = read_flat_csv(path)
    assert [d.date().isoformat() for d in frame["date"]] == ["2023-01-15", "2023-05-04", "2023-02-20", "2022-11-30"]
    assert list(frame["year"]) == [2023, 2023, 2023, 2022]


# ---------------------------------------------------------------------------------------------- exports


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_are_inert_in_spreadsheets(suffix, tmp_path):
    import openpyxl

    from procure.market.practice import export

    table = pd.DataFrame({"organisation": corpus.HOSTILE_NAMES, "lots": range(len(corpus.HOSTILE_NAMES))})
    path = tmp_path / f"pratiques{suffix}"
    export(table, path)
    if suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert not [c.value for c in cells if c.data_type == "f"]
        values = [c.value for c in sheet["A"][1:]]
    else:
        values = list(pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)["organisation"])
    assert len(values) == len(corpus.HOSTILE_NAMES)
    for value in values:
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", value)
        assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d"))
    assert "Ordinaire" in values and 'HYPERLINK("http://exemple.invalid","clic")' in values[0]


# ---------------------------------------------------------------------------------------------- properties


QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@QUICK
@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none()))
def test_property_amount_is_finite_non_negative_or_explained(value):
    from procure.market.decp import parse_amount

    amount, problem = parse_amount(value)
    if amount is None:
        assert problem is None or FRENCH_WORDS.search(problem)
    else:
        assert problem is None and 0 <= amount <= 1e12


@QUICK
@given(st.one_of(st.text(max_size=40), st.dates().map(lambda d: d.strftime("%d/%m/%Y")), st.dates().map(str)))
def test_property_date_is_a_date_or_explained(value):
    from datetime import date

    from procure.market.decp import parse_date

    parsed, problem = parse_date(value)
    assert (isinstance(parsed, date) and problem is None) or (parsed is None and (problem or value.strip() == ""))


@QUICK
@given(st.text(max_size=30))
def test_property_siret_rule(text):
    from procure.directory.suppliers import luhn_ok, siret_error

    error = siret_error(text)
    if error is None:
        assert re.fullmatch(r"[0-9]{14}", text) and text != "0" * 14
        assert luhn_ok(text) or text.startswith("356000000")
    else:
        assert error.startswith("SIRET")


@QUICK
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_property_export_cell_is_inert(text):
    from procure.market.practice import safe_cell

    cell = safe_cell(text)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", cell)
    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@"))


@QUICK
@given(st.text(alphabet="0123456789 abc€,.\n", max_size=3000))
def test_property_bounded_blocks_keep_every_character(text):
    from procure.ingest import MAX_DIGIT_RUN, MAX_TOKEN_CHARS, _break_long_tokens

    bounded = _break_long_tokens(text)
    assert bounded.replace(" ", "") == text.replace(" ", "")
    assert not re.search(rf"\d{{{MAX_DIGIT_RUN + 1}}}", bounded) and not re.search(rf"\S{{{MAX_TOKEN_CHARS + 1}}}", bounded)


@pytest.fixture(scope="module")
def good_pieces(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("pieces")
    return {".docx": dce.write_docx(folder / "RC.docx", dce.SERVICES_RC).read_bytes(),
            ".pdf": dce.write_pdf(folder / "RC.pdf", dce.SERVICES_RC).read_bytes(),
            ".xlsx": corpus.xlsx_workbook(folder, "BPU.xlsx", corpus.BPU_ROWS).read_bytes()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([".docx", ".pdf", ".xlsx"]),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.floats(0.05, 1)))
def test_property_damaged_piece_is_read_or_refused_in_french(good_pieces, tmp_path_factory, suffix, flips, cut):
    """Random bytes changed in a real piece (and perhaps truncated): read, or an IngestError in French, nothing else."""
    from procure.ingest import read_document

    data = bytearray(good_pieces[suffix])
    for position, value in flips:
        data[int(position * len(data))] = value
    if cut is not None:
        data = data[: max(1, int(cut * len(data)))]
    path = tmp_path_factory.mktemp("abime") / f"piece{suffix}"
    path.write_bytes(bytes(data))
    with deadline(30):
        try:
            doc = read_document(path)
        except IngestError as error:
            assert_french(error.message_fr)
            return
    assert doc.blocks


# ---------------------------------------------------------------------------------------------- command line and big cases

LIMIT_AS = 4 * 1024 ** 3


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def run_cli(*args, home: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {"PROCURE_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "procure.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, preexec_fn=_limited)


def test_cli_bad_inputs_without_traceback(tmp_path):
    home = tmp_path / "home"  # `procure analyze` with bad pieces: tests/test_bad_input.py::test_cli_exit_codes_and_json
    suppliers = run_cli("suppliers", "import", corpus.supplier_csv(tmp_path, "a.xlsx", [corpus.supplier_line()]),
                        "--format", "marche-inclusion", home=home)
    assert suppliers.returncode == 2 and "renommez-le en .csv" in suppliers.stderr
    decp = run_cli("decp", "import", corpus.decp_json(tmp_path, "l.json", {"marches": [
        corpus.decp_record("a", acheteur={"id": "1", "nom": "=HYPERLINK(\"http://x\")"}, montant="-1000"),
        corpus.decp_record("b", lieuExecution=["94"])]}), home=home)
    assert decp.returncode == 0, decp.stderr
    assert "marché 2 (id b) : le champ « lieuExecution » devrait être un objet, c'est une liste : ignoré" in decp.stderr
    assert "marché 1 (id a) : montant « -1000 » invalide : montant négatif (importé sans montant)" in decp.stderr
    assert "2 marché(s) lu(s) : 1 ajouté(s), 0 déjà présent(s), 1 ignoré(s)" in decp.stdout
    nothing = run_cli("decp", "import", corpus.decp_json(tmp_path, "rien.json", {"marches": {"marche": [
        corpus.decp_record("t", titulaires="41071771400035"), "un marché"]}}), home=home)
    assert nothing.returncode == 2 and "Aucun marché n'a pu être importé : 2 marché(s) dans le fichier" in nothing.stderr
    assert "marché 1 (id t) : le champ « titulaires » devrait être une liste, c'est un texte : ignoré" in nothing.stderr
    practice = run_cli("practice", "--out", tmp_path / "p.xlsx", home=home)
    assert practice.returncode == 0, practice.stderr
    import openpyxl

    cells = [c for row in openpyxl.load_workbook(tmp_path / "p.xlsx").active.iter_rows() for c in row]
    assert any(str(c.value).startswith("'=HYPERLINK") for c in cells) and not any(c.data_type == "f" for c in cells)
    for result in (suppliers, decp, nothing, practice):
        assert "Traceback" not in result.stderr + result.stdout


BIG_READER = """
import json, sys, time
from procure.ingest import IngestError, ocr, read_document
ocr.OCR_TIMEOUT_SECONDS, ocr.OCR_DOCUMENT_SECONDS = 8, 5
started = time.monotonic()
try:
    doc = read_document(sys.argv[1])
    print(json.dumps({"ok": True, "warnings": [w.message for w in doc.warnings], "blocks": len(doc.blocks)}))
except IngestError as error:
    print(json.dumps({"ok": False, "message": error.message_fr}))
"""


def _big_docx(folder: Path) -> Path:
    """A DOCX whose document.xml inflates to 280 MiB (written as a stream, 24 MiB-class archive)."""
    base = corpus.good_docx(folder)
    path = folder / "bombe280.docx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "word/document.xml":
                data = zin.read(item.filename)
                head, tail = data.split(b"<w:body>", 1)
                with zout.open(item.filename, "w", force_zip64=True) as part:
                    part.write(head + b"<w:body>")
                    paragraph = b"<w:p><w:r><w:t>Le titulaire s'engage a realiser les prestations.</w:t></w:r></w:p>" * 10_000
                    for _ in range(280 * 1048576 // len(paragraph)):
                        part.write(paragraph)
                    part.write(tail)
            else:
                zout.writestr(item, zin.read(item.filename))
    return path


BIG = [
    ("pdf-flux-165-Mo", lambda f: corpus._write(f, "flux165.pdf", corpus.huge_content_stream_pdf(165)), False),
    ("pdf-page-14400-pt-ocr", lambda f: corpus._write(f, "page14400.pdf", corpus.scanned_pdf(1, size_pt=14400)), None),
    ("pdf-40-pages-scannees", lambda f: corpus._write(f, "scan40.pdf", corpus.scanned_pdf(40)), None),
    ("docx-xml-280-Mio", _big_docx, False),
]


@pytest.mark.parametrize("name, build, readable", BIG, ids=[b[0] for b in BIG])
def test_big_input_in_bounded_time_and_memory(name, build, readable, tmp_path):
    path = build(tmp_path)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", BIG_READER, str(path)], capture_output=True, text=True, timeout=150,
                            preexec_fn=_limited, env={"PROCURE_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    if readable is not None:
        assert outcome["ok"] is readable
    for message in [outcome.get("message", "")] + outcome.get("warnings", []):
        if message:
            assert_french(message)
    assert time.monotonic() - started < 150


def test_corpus_covers_every_class_with_200_cases():
    counts = corpus.corpus_size()
    counts["big"] = len(BIG)
    print("\n" + "\n".join(f"{klass:>18} : {n}" for klass, n in sorted(counts.items())) + f"\n{'total':>18} : {sum(counts.values())}")
    assert sum(counts.values()) >= 200
    for klass in ("docx-archive", "docx-xml", "docx-table", "decp-lenient", "pdf", "format", "file-name", "long-text", "xlsx-piece", "supplier-file",
                  "siret", "headcount", "supplier-mapping", "decp-top", "decp-json", "decp-csv", "decp-schema",
                  "decp-amount", "decp-date", "export"):
        assert counts.get(klass, 0) >= 2, klass
