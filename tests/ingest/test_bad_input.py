"""Bad files get a clear French message; the other files of the tender are still analysed."""
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import dce
from procure.extract import analyze
from procure.ingest import IngestError, read_document
from procure.ingest.ocr import ocr_status


def _message(path) -> str:
    with pytest.raises(IngestError) as error:
        read_document(path)
    return error.value.message_fr


def test_empty_file(tmp_path):
    path = tmp_path / "vide.pdf"
    path.write_bytes(b"")
    assert "vide" in _message(path)


def test_corrupt_pdf(tmp_path):
    good = dce.write_pdf(tmp_path / "ok.pdf", dce.SERVICES_RC).read_bytes()
    path = tmp_path / "tronque.pdf"
    path.write_bytes(good[:300])
    assert "endommagé" in _message(path)


def test_encrypted_pdf(tmp_path):
    path = dce.write_pdf(tmp_path / "secret.pdf", dce.SERVICES_RC, encrypt_password="motdepasse")
    assert "mot de passe" in _message(path)


def test_text_renamed_as_pdf(tmp_path):
    path = tmp_path / "faux.pdf"
    path.write_text("Ceci n'est pas un PDF", encoding="utf-8")
    message = _message(path)
    assert "extension .pdf" in message and "texte brut" in message


def test_unsupported_format(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><body>DCE</body></html>")
    assert "Format non pris en charge" in _message(path)


def test_file_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_MAX_FILE_MB", "1")
    path = tmp_path / "enorme.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    assert "trop volumineux" in _message(path)


def test_pdf_over_page_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_MAX_PAGES", "3")
    path = dce.write_pdf(tmp_path / "long.pdf", [(dce.P, "Article. " * 400)] * 8)
    assert "trop long" in _message(path)


def _docx_with(tmp_path, name, replace=None, extra=None) -> Path:
    source = dce.write_docx(tmp_path / "base.docx", dce.SERVICES_RC)
    target = tmp_path / name
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if replace and item.filename in replace:
                data = replace[item.filename](data)
            zout.writestr(item, data)
        for filename, data in (extra or {}).items():
            zout.writestr(filename, data)
    return target


def test_docx_with_xml_entities_is_refused(tmp_path):
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    path = _docx_with(tmp_path, "entites.docx", replace={"word/document.xml": lambda data: bomb + data.split(b"?>", 1)[1]})
    assert "DTD" in _message(path)


def test_docx_zip_bomb_is_refused(tmp_path):
    path = _docx_with(tmp_path, "bombe.docx", extra={"word/media/zeros.bin": b"\0" * (400 * 1024 * 1024)})
    assert "anormalement volumineux" in _message(path)


def test_docx_with_macros_is_refused(tmp_path):
    path = _docx_with(tmp_path, "macros.docx", extra={"word/vbaProject.bin": b"macro"})
    assert "macros" in _message(path)


def test_zip_that_is_not_word(tmp_path):
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "n'est ni un document Word" in _message(path)


def test_broken_docx_xml(tmp_path):
    path = _docx_with(tmp_path, "casse.docx", replace={"word/document.xml": lambda data: data[: len(data) // 2]})
    assert "endommagé" in _message(path)


def test_old_word_format(tmp_path):
    path = tmp_path / "ancien.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert ".doc" in _message(path)


def _image_only_pdf(path: Path, text_lines: list[str]) -> Path:
    import reportlab
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), 44)
    image = Image.new("RGB", (2480, 1200), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(text_lines):
        draw.text((100, 100 + row * 90), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, A4[1] - 360, width=A4[0], height=A4[0] * 1200 / 2480)
    pdf.save()
    return path


SCANNED_LINES = ["Lot 1 : Nettoyage des locaux", "Code CPV : 90910000-9", "Clause d'insertion : 600 heures"]


def test_scanned_pdf_without_ocr_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_TESSERACT", "")
    path = _image_only_pdf(tmp_path / "scan.pdf", SCANNED_LINES)
    message = _message(path)
    assert "scann" in message and "tesseract-ocr-fra" in message


@pytest.mark.skipif(ocr_status() is not None, reason=f"OCR indisponible ici : {ocr_status()}")
def test_scanned_pdf_is_read_by_ocr(tmp_path):
    path = _image_only_pdf(tmp_path / "scan.pdf", SCANNED_LINES)
    tender = analyze([path])
    assert tender.documents[0].ocr_pages == [1]
    (lot,) = tender.lots
    assert lot.cpv_codes[0].code == "90910000"
    (clause,) = tender.provisions_for(lot.number)  # one lot: tender-wide or the lot's, the same clause
    assert clause.hours == 600 and clause.evidence.ocr


def test_good_files_survive_bad_ones(tmp_path):
    bad = tmp_path / "corrompu.pdf"
    bad.write_bytes(b"%PDF-1.7 garbage")
    tender = analyze([bad, *dce.supplies_tender(tmp_path)])
    assert [p.file for p in tender.problems if p.fatal] == ["corrompu.pdf"]
    assert len(tender.lots) == 2 and tender.readable


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "procure.cli", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_cli_exit_codes_and_json(tmp_path):
    bad = tmp_path / "faux.pdf"
    bad.write_text("pas un pdf")
    only_bad = _cli("analyze", bad)
    assert only_bad.returncode == 2
    assert "Aucun document n'a pu être lu" in only_bad.stderr and "extension .pdf" in only_bad.stdout
    out = tmp_path / "analyse.json"
    mixed = _cli("analyze", bad, *dce.works_tender(tmp_path), "--json", out)
    assert mixed.returncode == 0, mixed.stderr
    assert "Lot 1 : Gros œuvre – maçonnerie" in mixed.stdout and "ERREUR — faux.pdf" in mixed.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [lot["number"] for lot in data["lots"]] == [1, 2, 3]
    assert data["lots"][0]["provisions"][0]["hours"] == 1200
    assert data["problems"][0]["fatal"] is True
