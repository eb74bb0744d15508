"""The Word outputs as a buyer opens them: rendered by LibreOffice to PDF, then read back (text, pages, tracked changes).

LibreOffice (`soffice`) and poppler (`pdftotext`, `pdfinfo`) come from scripts/install-system-deps.sh; without them
the tests are skipped locally with that reason, and fail in CI where they must be installed. The PDF and PNG pages
are left in the test's temporary folder for a human to look at.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

import dce
from procure.advice.suggest import suggest
from procure.extract import analyze
from procure.outputs.annex import write_annex
from procure.outputs.tracked import clause_from_suggestion, insert_clauses

TOOLS = ("soffice", "pdftotext", "pdfinfo", "pdftoppm")


@pytest.fixture(scope="module")
def libreoffice():
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} absent en CI : scripts/install-system-deps.sh n'a pas tourné")
        pytest.skip(f"LibreOffice ou poppler absent ({', '.join(missing)}) : installer libreoffice-writer-nogui "
                    "et poppler-utils (scripts/install-system-deps.sh)")


def render(path: Path, fmt: str = "pdf") -> Path:
    """Convert with a private LibreOffice profile, so that parallel runs do not share a lock."""
    profile = path.parent / f".lo-profile-{path.stem}"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(path.parent), str(path)], check=True, capture_output=True, timeout=180)
    out = path.with_suffix(f".{fmt}")
    assert out.is_file(), f"LibreOffice n'a pas converti {path.name}"
    return out


def pdf_text_and_pages(pdf: Path) -> tuple[str, int]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)  # to look at
    return " ".join(text.split()), pages


def test_annex_renders_in_libreoffice(libreoffice, tmp_path):
    advice = suggest(analyze(dce.works_tender(tmp_path)))
    path = write_annex(advice, tmp_path / "annexe.docx", generated=date(2026, 11, 22))
    text, pages = pdf_text_and_pages(render(path))
    assert 3 <= pages <= 20
    assert "Annexe : clauses sociales proposées" in text
    assert "Acheteur : Ville de Vitry-sur-Seine" in text
    for lot in advice.lots:
        assert f"Lot {lot.lot.number} — " in text
    assert "au minimum 1 200 heures de travail d’insertion" in text  # the dossier's figure, not procure's estimate
    assert "[à compléter : pénalité]" in text and "penalite" not in text
    assert "{{" not in text and "{%" not in text
    assert "page 2" in text  # the footer's PAGE field is computed


@pytest.fixture
def buyer_ccap(tmp_path) -> Path:
    """A buyer's CCAP with no social article: the clauses go into a new numbered article."""
    return dce.write_docx(tmp_path / "CCAP_conseil.docx", [
        (dce.H, "CAHIER DES CLAUSES ADMINISTRATIVES PARTICULIÈRES"),
        (dce.H, "Article 1 – Objet du marché"),
        (dce.P, "Le marché a pour objet des prestations de conseil juridique en droit public."),
        (dce.H, "Article 2 – Prix et règlement"),
        (dce.P, "Les prix sont fermes et non révisables."),
        (dce.H, "Article 7 – Conditions d'exécution"),
        (dce.P, "Le titulaire exécute les prestations dans les locaux de l'acheteur."),
        (dce.H, "Article 8 – Résiliation"),
        (dce.P, "Les stipulations du CCAG-PI relatives à la résiliation s'appliquent."),
    ])


def _clauses():
    from procure import law

    levers = law.levers()
    insertion = levers["insertion_clause"]
    ethical = levers["ethical_purchasing"]
    return [clause_from_suggestion("insertion_clause", insertion.title,
                                   insertion.render({"lot_numero": 1, "lot_intitule": "Conseil juridique",
                                                     "heures": "120", "volume_phrase": "le titulaire réalise au minimum 120 heures de travail d’insertion, calculées selon la méthode annexée."}), 1),
            clause_from_suggestion("fair_trade", levers["fair_trade"].title,
                                   levers["fair_trade"].render({"lot_numero": 1}), 1),
            clause_from_suggestion("ethical_purchasing", ethical.title,
                                   ethical.render({"lot_numero": 1, "lot_intitule": "Conseil juridique"}), 1)]


def _inserted_paragraphs(document) -> list:
    return [p for p in document.element.body.iter(qn("w:p"))
            if p.find(qn("w:pPr")) is not None and p.find(qn("w:pPr")).find(qn("w:rPr")) is not None
            and p.find(qn("w:pPr")).find(qn("w:rPr")).find(qn("w:ins")) is not None]


def test_tracked_changes_are_valid_and_rejecting_them_gives_back_the_original(buyer_ccap, tmp_path):
    original = buyer_ccap.read_bytes()
    result = insert_clauses(buyer_ccap, _clauses(), tmp_path / "CCAP_clauses.docx")
    assert buyer_ccap.read_bytes() == original  # the buyer's file is never modified
    where = {p.clause.lever_id: p.where for p in result.placements}
    assert "Article 7 – Conditions d'exécution" in where["insertion_clause"]
    assert "nouvel article 9" in where["fair_trade"]  # no matching article: a new one, numbered after the last
    document = docx.Document(str(result.path))
    inserted = _inserted_paragraphs(document)
    assert inserted
    for paragraph in inserted:  # every run of an inserted paragraph sits in a w:ins by procure, with a date
        assert not paragraph.findall(qn("w:r")), "run outside w:ins"
        for ins in paragraph.findall(qn("w:ins")):
            assert ins.get(qn("w:author")) == "procure" and re.match(r"\d{4}-\d\d-\d\dT", ins.get(qn("w:date")))
            assert all(child.tag == qn("w:r") for child in ins)
    ids = [e.get(qn("w:id")) for e in document.element.body.iter(qn("w:ins"))]
    assert len(ids) == len(set(ids))
    # Rejecting every change (removing what procure inserted) gives back the buyer's text.
    for paragraph in inserted:
        paragraph.getparent().remove(paragraph)
    before = [p.text for p in docx.Document(str(buyer_ccap)).paragraphs]
    assert [p.text for p in document.paragraphs] == before


def test_tracked_document_opens_in_libreoffice_with_procure_changes(libreoffice, buyer_ccap, tmp_path):
    result = insert_clauses(buyer_ccap, _clauses(), tmp_path / "CCAP_clauses.docx")
    text, pages = pdf_text_and_pages(render(result.path))
    assert pages >= 2
    assert "Article 9 – Clauses sociales" in text and "Article 8 – Résiliation" in text
    assert text.index("Article 7 – Conditions d'exécution") < text.index("Clause sociale d’insertion") \
        < text.index("Article 8 – Résiliation")
    odt = render(result.path, "odt")
    with zipfile.ZipFile(odt) as archive:
        content = archive.read("content.xml").decode("utf-8")
    regions = re.findall(r"<text:changed-region.*?</text:changed-region>", content, re.S)
    assert regions and all("<text:insertion>" in r and "<dc:creator>procure</dc:creator>" in r for r in regions)


def test_cli_tracked(libreoffice, buyer_ccap, tmp_path):
    files = dce.services_tender(tmp_path)
    out = tmp_path / "CCAP_avec_clauses.docx"
    digest = hashlib.sha256(buyer_ccap.read_bytes()).hexdigest()
    result = subprocess.run([sys.executable, "-m", "procure.cli", "tracked", *map(str, files), "--into", str(buyer_ccap),
                             "--out", str(out), "--date", "2026-09-10", "--lever", "insertion_clause"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "modification suivie" in result.stdout and "Article 7" in result.stdout
    assert hashlib.sha256(buyer_ccap.read_bytes()).hexdigest() == digest
    text, _ = pdf_text_and_pages(render(out))
    assert "Prestations de conseil juridique en droit public" in text and "Clause sociale d’insertion" in text
    refused = subprocess.run([sys.executable, "-m", "procure.cli", "tracked", *map(str, files), "--into",
                              str(files[0]), "--out", str(tmp_path / "x.docx")], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "format Word" in refused.stderr and "Traceback" not in refused.stderr


def test_guide_table_of_contents_has_the_pages_libreoffice_lays_out(libreoffice, sessions, tmp_path):
    from procure.directory.demo import demo_suppliers
    from procure.directory.suppliers import SupplierRepository
    from procure.market.practice import Territory
    from procure.outputs.guide import guide_data, write_guide

    SupplierRepository(sessions).upsert(demo_suppliers())
    data = guide_data(sessions, Territory.parse("94"), date(2026, 11, 22))
    path = write_guide(data, tmp_path / "guide.docx")
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    toc = [line for line in texts[texts.index("Sommaire") + 1: texts.index("1. Ce qui est obligatoire")] if line]
    assert len(toc) >= 8 and all(re.fullmatch(r".+\t\d+", line) for line in toc)
    pdf = render(path)
    text, pages = pdf_text_and_pages(pdf)
    assert 8 <= pages <= 40
    assert "Val-de-Marne" in text and "Mettez à jour le sommaire" not in text and "F9" not in text
    for line in toc:  # each heading is on the page the table of contents gives
        heading, page = line.split("\t")
        on_page = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", page, "-l", page, str(pdf), "-"],
                                 capture_output=True, text=True, check=True).stdout
        assert " ".join(heading.split())[:40] in " ".join(on_page.split()), (heading, page)


def test_tracked_clauses_follow_articles_written_in_bold_capitals(tmp_path):
    """Many CCAP write « ARTICLE 5 - … » in bold body text rather than with Word heading styles."""
    document = docx.Document()
    for text, bold in [("ARTICLE 1 - OBJET DU MARCHÉ", True), ("Le marché porte sur l'entretien des espaces verts.", False),
                       ("ARTICLE 2 - CRITÈRES D'ATTRIBUTION", True), ("Prix : 60 % ; valeur technique : 40 %.", False),
                       ("ARTICLE 3 - PÉNALITÉS", True), ("Pénalité de retard : 100 € par jour.", False)]:
        document.add_paragraph().add_run(text).bold = bold
    source = tmp_path / "RC_espaces_verts.docx"
    document.save(str(source))
    from procure import law

    criterion = law.levers()["social_criterion"]
    clauses = [clause_from_suggestion("social_criterion", criterion.title, criterion.render({"ponderation": "10 %"}), 1),
               clause_from_suggestion("reserved_siae", "Marché réservé SIAE", ["Le lot 1 est réservé aux SIAE."], 1),
               clause_from_suggestion("fair_trade", "Commerce équitable", ["Les produits sont issus du commerce équitable."], 1)]
    result = insert_clauses(source, clauses, tmp_path / "RC_clauses.docx")
    assert "ARTICLE 2 - CRITÈRES D'ATTRIBUTION" in result.placements[0].where
    assert "ARTICLE 1 - OBJET DU MARCHÉ" in result.placements[1].where  # a reservation belongs with the object
    assert "nouvel article 4" in result.placements[2].where
    texts = ["".join(t.text for t in p._p.iter(qn("w:t"))) for p in docx.Document(str(result.path)).paragraphs]
    assert texts.index("ARTICLE 2 - CRITÈRES D'ATTRIBUTION") < texts.index("Prix : 60 % ; valeur technique : 40 %.") \
        < next(i for i, t in enumerate(texts) if t.startswith("Critère n°")) < texts.index("ARTICLE 3 - PÉNALITÉS")
    assert "ARTICLE 4 – CLAUSES SOCIALES" in texts
