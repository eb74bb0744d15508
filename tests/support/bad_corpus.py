"""Generators of bad inputs for procure: tender pieces, directory files, DECP exports, names for exports.

Every generator builds its file at test time (in a pytest tmp_path) from a good file or from raw bytes: the corpus
is code, not binary fixtures. Each case names the class of the issue it covers (#11) and what procure must do:
"error" (a French message for that input only), "ok" (a correct result) or "warning" (read, with a French warning).
"""
from __future__ import annotations

import gzip
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

import dce

# ---------------------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Case:
    klass: str  # class of bad input, as listed in the issue
    name: str
    build: Callable[[Path], object]  # returns a path (or a value) built inside the given folder
    expect: str  # "error", "ok", "warning"


def good_docx(folder: Path) -> Path:
    path = folder / "base.docx"
    if not path.exists():
        dce.write_docx(path, dce.SERVICES_RC)
    return path


def rewrite_zip(source: Path, target: Path, replace: dict | None = None, extra: dict | None = None,
                drop: set | None = None, compression=zipfile.ZIP_DEFLATED) -> Path:
    """Copy an archive, replacing, adding or dropping parts."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", compression) as zout:
        for item in zin.infolist():
            if drop and item.filename in drop:
                continue
            data = zin.read(item.filename)
            if replace and item.filename in replace:
                value = replace[item.filename]
                data = value(data) if callable(value) else value
            zout.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return target


def patch_headers(path: Path, member: str, local: dict[int, bytes], central: dict[int, bytes]) -> Path:
    """Overwrite fields of one member's local and central ZIP headers (offset in header -> bytes)."""
    data = bytearray(path.read_bytes())
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        name = bytes(data[position + 46:position + 46 + name_length]).decode()
        if name == member:
            header = struct.unpack_from("<I", data, position + 42)[0]
            for offset, value in central.items():
                data[position + offset:position + offset + len(value)] = value
            for offset, value in local.items():
                data[header + offset:header + offset + len(value)] = value
        position = data.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(data))
    return path


def member_data_span(path: Path, member: str) -> tuple[int, int]:
    """Start and length of a member's compressed data in the file."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = path.read_bytes()
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    return start, info.compress_size


# ---------------------------------------------------------------------------------------------- raw PDF


def raw_pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def stream(data: bytes, dictionary: bytes = b"", compress: bool = True) -> bytes:
    body = zlib.compress(data, 9) if compress else data
    flate = b"/Filter /FlateDecode " if compress else b""
    return b"<< " + dictionary + b" " + flate + b"/Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def text_page_pdf(content: bytes, mediabox: bytes = b"0 0 595 842", extra: dict | None = None,
                  resources: bytes = b"<< /Font << /F1 5 0 R >> >>") -> bytes:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [" + mediabox + b"] /Contents 4 0 R /Resources " + resources + b" >>",
        4: stream(content),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    objects.update(extra or {})
    return raw_pdf(objects)


def text_line(text: str, y: int = 700) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"BT /F1 11 Tf 50 %d Td (" % y + escaped.encode("latin-1") + b") Tj ET\n"


LOT_TABLE_TEXT = [text_line("Lot 1 : Nettoyage des locaux - montant 120 000 euros HT - designation", 700),
                  text_line("Code CPV 90910000-9", 680)]


def scanned_pdf(pages: int, size_pt: int = 595) -> bytes:
    """Pages that hold only an image (no text): what a scanner produces."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 120), 255)
    ImageDraw.Draw(image).text((10, 50), "Lot 1 Nettoyage", fill=0)
    pixels = image.tobytes()
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               4: stream(pixels, b"/Type /XObject /Subtype /Image /Width 400 /Height 120 /ColorSpace /DeviceGray "
                                 b"/BitsPerComponent 8")}
    kids = []
    for index in range(pages):
        page, content = 10 + 2 * index, 11 + 2 * index
        kids.append(b"%d 0 R" % page)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                         b"/Resources << /XObject << /Im0 4 0 R >> >> >>" % (size_pt, size_pt, content))
        objects[content] = stream(b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (size_pt, size_pt // 3))
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % pages
    return raw_pdf(objects)


def huge_content_stream_pdf(mebibytes: int) -> bytes:
    """One page whose drawing instructions inflate to `mebibytes` MiB (compressed with a streaming compressor)."""
    line = b"BT /F1 12 Tf 72 700 Td (Lot 1 nettoyage) Tj ET\n"
    block = line * (1048576 // len(line))
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(block) for _ in range(mebibytes)) + compressor.flush()
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        4: b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    return raw_pdf(objects)


# ---------------------------------------------------------------------------------------------- tender pieces


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _docx_case(name: str, **kwargs) -> Callable[[Path], Path]:
    return lambda folder: rewrite_zip(good_docx(folder), folder / name, **kwargs)


def _bad_crc(folder: Path) -> Path:
    path = rewrite_zip(good_docx(folder), folder / "crc.docx")
    with zipfile.ZipFile(path) as archive:
        crc = archive.getinfo("word/document.xml").CRC
    wrong = struct.pack("<I", crc ^ 0xFFFF)
    return patch_headers(path, "word/document.xml", {14: wrong}, {16: wrong})


def _flag_encrypted(folder: Path) -> Path:
    path = rewrite_zip(good_docx(folder), folder / "chiffre.docx")
    return patch_headers(path, "word/document.xml", {6: b"\x09\x00"}, {8: b"\x09\x00"})


def _deflate64(folder: Path) -> Path:
    path = rewrite_zip(good_docx(folder), folder / "deflate64.docx")
    return patch_headers(path, "word/document.xml", {8: b"\x09\x00"}, {10: b"\x09\x00"})


def _zip_version(folder: Path) -> Path:
    path = rewrite_zip(good_docx(folder), folder / "version84.docx")
    return patch_headers(path, "word/document.xml", {4: b"\x54\x00"}, {6: b"\x54\x00"})


def _zlib_garbage(folder: Path) -> Path:
    path = rewrite_zip(good_docx(folder), folder / "zlib.docx")
    start, length = member_data_span(path, "word/document.xml")
    data = bytearray(path.read_bytes())
    for offset in range(start + length // 3, start + length // 3 + 40):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    return path


def _lying_size(folder: Path) -> Path:
    """document.xml decompresses to far more than its header declares."""
    path = rewrite_zip(good_docx(folder), folder / "taille.docx")
    return patch_headers(path, "word/document.xml", {22: struct.pack("<I", 100)}, {24: struct.pack("<I", 100)})


DOC_NS = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                  + DOC_NS + b"<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + DOC_NS
       + b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")


def _paragraphs_docx(folder: Path, name: str, paragraphs: list[str]) -> Path:
    """Paragraphs appended to the body directly (python-docx's add_paragraph is quadratic in their number)."""
    import docx

    document = docx.Document()
    document.add_heading("Règlement de la consultation", level=1)
    body = document.element.body
    template = document.add_paragraph("x")._p
    body.remove(template)
    anchor = body[-1]  # the section properties stay last
    for text in paragraphs:
        paragraph = deepcopy(template)
        paragraph.xpath("./w:r/w:t")[0].text = text
        anchor.addprevious(paragraph)
    document.save(folder / name)
    return folder / name


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _cell_xml(text: str, span: int = 1, merge: str | None = None) -> str:
    properties = (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "") + (
        f'<w:vMerge w:val="{merge}"/>' if merge == "restart" else "<w:vMerge/>" if merge else "")
    run = f"<w:r><w:t>{text}</w:t></w:r>" if text else ""
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p>{run}</w:p></w:tc>"


def merged_table_docx(folder: Path, name: str = "bpu_fusionne.docx", rows: int = 3000) -> Path:
    """An RC whose price table has `rows` rows of merged cells: the lot column merged vertically down the whole
    table, the designation spanning two grid columns, and a second vertical merge restarted every 50 rows."""
    import docx

    document = docx.Document()
    document.add_heading("Règlement de la consultation", level=1)
    document.add_paragraph("Objet de la consultation : entretien des espaces verts de la commune.")
    grid = "".join("<w:gridCol/>" for _ in range(5))
    lines = [f'<w:tr>{_cell_xml("Lot")}{_cell_xml("Désignation", span=2)}{_cell_xml("Famille")}{_cell_xml("Prix HT")}</w:tr>']
    for row in range(rows):
        lot = _cell_xml("Lot 1 : Espaces verts", merge="restart") if row == 0 else _cell_xml("", merge="continue")
        family = _cell_xml(f"Famille {row // 50 + 1}", merge="restart") if row % 50 == 0 else _cell_xml("", merge="continue")
        lines.append(f"<w:tr>{lot}{_cell_xml(f'Poste {row + 1} tonte et taille', span=2)}{family}"
                     f"{_cell_xml(f'{row + 1},50 €')}</w:tr>")
    table = f'<w:tbl xmlns:w="{W}"><w:tblPr/><w:tblGrid>{grid}</w:tblGrid>{"".join(lines)}</w:tbl>'
    from lxml import etree

    body = document.element.body
    body[-1].addprevious(etree.fromstring(table))  # before the section properties
    document.save(folder / name)
    return folder / name


def _table_docx(folder: Path, name: str, rows: list[str]) -> Path:
    """A document holding one table made of the given `w:tr` XML."""
    import docx
    from lxml import etree

    document = docx.Document()
    document.add_paragraph("Règlement de la consultation")
    table = f'<w:tbl xmlns:w="{W}"><w:tblPr/><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>{"".join(rows)}</w:tbl>'
    document.element.body[-1].addprevious(etree.fromstring(table))
    document.save(folder / name)
    return folder / name


def _directory(folder: Path) -> Path:
    path = folder / "dossier.pdf"
    path.mkdir()
    return path


def _ole(folder: Path, name: str, marker: bytes = b"") -> Path:
    return _write(folder, name, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + marker)


def _opendocument(folder: Path, name: str, mimetype: bytes) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return path


def xlsx_workbook(folder: Path, name: str, rows: list[list], title: str = "BPU") -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    path = folder / name
    workbook.save(path)
    return path


BPU_ROWS = [["Code", "Désignation", "Unité", "Prix unitaire HT"], ["1.1", "Nettoyage des bureaux", "m²", 2.5],
            ["1.2", "Vitrerie", "m²", 4], ["2.1", "Clause d'insertion : 600 heures", "h", None]]


def _xlsx_rows_stream(folder: Path, name: str, rows: int) -> Path:
    """A workbook written part by part with a sheet of `rows` rows, without building it in memory."""
    base = xlsx_workbook(folder, "modele.xlsx", [["a"]])
    path = folder / name
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with zout.open(item.filename, "w", force_zip64=True) as sheet:
                    sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                    for start in range(1, rows + 1, 1000):
                        sheet.write(b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>Poste %d</t></is></c><c r="B%d"><v>%d</v></c></row>'
                                             % (r, r, r, r, r) for r in range(start, min(start + 1000, rows + 1))))
                    sheet.write(b"</sheetData></worksheet>")
            else:
                zout.writestr(item, zin.read(item.filename))
    return path


def _xlsx_replace(folder: Path, name: str, member: str, data: bytes) -> Path:
    base = xlsx_workbook(folder, "modele.xlsx", BPU_ROWS)
    return rewrite_zip(base, folder / name, replace={member: data})


PDF_PAGE_TREE_LOOP = raw_pdf({
    1: b"<< /Type /Catalog /Pages 2 0 R >>",
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
})
# pdfminer needs an integer /Length and a sound font; pdfium repairs both: the table pass fails, the text stays.
PDF_PDFMINER_REJECTS = text_page_pdf(b"".join(LOT_TABLE_TEXT), resources=b"<< /Font << /F1 5 0 R >> >>",
                                     extra={5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Widths 7 0 R /FirstChar (x) >>",
                                            7: b"<< /Bad [ 1 2 >>"})


def ingest_cases() -> list[Case]:
    """Tender pieces: each must fail alone with a French message, or be read."""
    cases = [
        # DOCX archives
        Case("docx-archive", "crc", _bad_crc, "error"),
        Case("docx-archive", "membre chiffré", _flag_encrypted, "error"),
        Case("docx-archive", "deflate64", _deflate64, "error"),
        Case("docx-archive", "zip version 8.4", _zip_version, "error"),
        Case("docx-archive", "erreur zlib", _zlib_garbage, "error"),
        Case("docx-archive", "taille déclarée fausse", _lying_size, "error"),
        Case("docx-archive", "tronqué", lambda f: _write(f, "tronque.docx", good_docx(f).read_bytes()[:2000]), "error"),
        Case("docx-archive", "zip vide", lambda f: _write(f, "vide.docx", b"PK\x05\x06" + b"\0" * 18), "error"),
        Case("docx-archive", "zip sans document", lambda f: _docx_case("sans_doc.docx", drop={"word/document.xml"})(f), "error"),
        Case("docx-archive", "macros", _docx_case("macros.docx", extra={"word/vbaProject.bin": b"x"}), "error"),
        Case("docx-archive", "bombe ratio", _docx_case("bombe.docx", extra={"word/media/zeros.bin": b"\0" * (60 * 1024 * 1024)}), "error"),
        Case("docx-archive", "bombe xml 50 Mo", _docx_case("bombe_xml.docx", replace={
            "word/document.xml": lambda d: d.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * (9 * 1024 * 1024), 1)}), "error"),
        # DOCX XML
        Case("docx-xml", "sans body", _docx_case("sans_body.docx", replace={"word/document.xml": DOC_NS + b"</w:document>"}), "error"),
        Case("docx-xml", "autre racine", _docx_case("racine.docx", replace={"word/document.xml": b'<?xml version="1.0"?><html><body/></html>'}), "error"),
        Case("docx-xml", "xml tronqué", _docx_case("xml_tronque.docx", replace={"word/document.xml": lambda d: d[: len(d) // 2]}), "error"),
        Case("docx-xml", "xml vide", _docx_case("xml_vide.docx", replace={"word/document.xml": b""}), "error"),
        Case("docx-xml", "billion laughs", _docx_case("lol.docx", replace={"word/document.xml": BILLION_LAUGHS}), "error"),
        Case("docx-xml", "entité externe", _docx_case("xxe.docx", replace={"word/document.xml": XXE}), "error"),
        Case("docx-xml", "DTD dans styles", _docx_case("dtd_styles.docx", replace={"word/styles.xml": lambda d: d.replace(b"?>", b"?><!DOCTYPE x [<!ENTITY a 'b'>]>", 1)}), "error"),
        Case("docx-xml", "DTD en UTF-16", _docx_case("dtd16.docx", replace={"word/document.xml": BILLION_LAUGHS.replace(b'?>', b' encoding="utf-16"?>').decode().encode("utf-16")}), "error"),
        Case("docx-xml", "content types cassé", _docx_case("ct.docx", replace={"[Content_Types].xml": b"<Types"}), "error"),
        Case("docx-xml", "relations manquantes", _docx_case("rels.docx", drop={"word/_rels/document.xml.rels", "_rels/.rels"}), "error"),
        # PDF
        Case("pdf", "arbre de pages en boucle", lambda f: _write(f, "boucle.pdf", PDF_PAGE_TREE_LOOP), "error"),
        Case("pdf", "pdfminer rejette, pdfium lit", lambda f: _write(f, "pdfminer.pdf", PDF_PDFMINER_REJECTS), "ok"),
        Case("pdf", "tronqué", lambda f: _write(f, "tronque.pdf", text_page_pdf(b"".join(LOT_TABLE_TEXT))[:300]), "error"),
        Case("pdf", "en-tête seul", lambda f: _write(f, "entete.pdf", b"%PDF-1.7\n"), "error"),
        Case("pdf", "xref faux", lambda f: _write(f, "xref.pdf", text_page_pdf(b"".join(LOT_TABLE_TEXT)).replace(b"startxref\n", b"startxref\n9")), "ok"),
        Case("pdf", "flux non compressible", lambda f: _write(f, "flux.pdf", text_page_pdf(b"").replace(b"/FlateDecode", b"/FlateDecode /DecodeParms << /Predictor 99 >>")), "error"),
        Case("pdf", "chiffré", lambda f: dce.write_pdf(f / "secret.pdf", dce.SERVICES_RC, encrypt_password="x"), "error"),
        Case("pdf", "texte binaire aléatoire", lambda f: _write(f, "aleatoire.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40), "error"),
        Case("pdf", "page immense sans texte", lambda f: _write(f, "immense.pdf", text_page_pdf(b"", mediabox=b"0 0 14400 14400")), "error"),
        Case("pdf", "mediabox négative", lambda f: _write(f, "negative.pdf", text_page_pdf(b"".join(LOT_TABLE_TEXT), mediabox=b"0 0 -5 -5")), "error"),
        Case("pdf", "flux de contenu 40 Mo", lambda f: _write(f, "flux40.pdf", huge_content_stream_pdf(40)), "error"),
        # other formats and file names
        Case("format", "fichier vide", lambda f: _write(f, "vide.pdf", b""), "error"),
        Case("format", "texte nommé .pdf", lambda f: _write(f, "faux.pdf", "Règlement de la consultation".encode()), "error"),
        Case("format", "html", lambda f: _write(f, "page.html", b"<html><body>DCE</body></html>"), "error"),
        Case("format", "image", lambda f: _write(f, "scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100), "error"),
        Case("format", "rtf", lambda f: _write(f, "doc.rtf", b"{\\rtf1 Bonjour}"), "error"),
        Case("format", "word 97", lambda f: _ole(f, "ancien.doc"), "error"),
        Case("format", "excel 97", lambda f: _ole(f, "ancien.xls", "Workbook".encode("utf-16-le")), "error"),
        Case("format", "office chiffré", lambda f: _ole(f, "chiffre.docx", "EncryptionInfo".encode("utf-16-le")), "error"),
        Case("format", "ods", lambda f: _opendocument(f, "bpu.ods", b"application/vnd.oasis.opendocument.spreadsheet"), "error"),
        Case("format", "odt", lambda f: _opendocument(f, "cctp.odt", b"application/vnd.oasis.opendocument.text"), "error"),
        Case("format", "zip quelconque", lambda f: _opendocument(f, "archive.zip", b"application/zip"), "error"),
        Case("format", "octets nuls", lambda f: _write(f, "nuls.docx", b"\0" * 5000), "error"),
        Case("file-name", "dossier", _directory, "error"),
        Case("file-name", "nom de 300 octets", lambda f: f / ("é" * 150 + ".pdf"), "error"),
        Case("file-name", "caractère nul", lambda f: Path(str(f / "nul\0.pdf")), "error"),
        Case("file-name", "fichier absent", lambda f: f / "absent.pdf", "error"),
        # long text (extraction must stay bounded)
        Case("long-text", "paragraphe de 5 Mo", lambda f: _paragraphs_docx(f, "long.docx", ["Le titulaire s'engage. " * 230_000]), "ok"),
        Case("long-text", "paragraphe de 1,2 Mo (max_length de spaCy)", lambda f: _paragraphs_docx(f, "long1.docx", ["Le titulaire s'engage. " * 55_000]), "ok"),
        Case("long-text", "Montant suivi de 100 000 chiffres", lambda f: _paragraphs_docx(f, "chiffres.docx", ["Montant : " + "9" * 100_000]), "ok"),
        Case("long-text", "mot de 300 000 lettres", lambda f: _paragraphs_docx(f, "mot.docx", ["Lot 1 : " + "a" * 300_000]), "ok"),
        Case("docx-table", "3 000 lignes de cellules fusionnées", lambda f: merged_table_docx(f), "warning"),
        Case("docx-table", "fusion verticale dès la première ligne", lambda f: _table_docx(f, "fusion_haut.docx", [
            f'<w:tr>{_cell_xml("", merge="continue")}{_cell_xml("Lot 1 : Nettoyage")}</w:tr>',
            f'<w:tr>{_cell_xml("", merge="continue")}{_cell_xml("Lot 2 : Vitrerie")}</w:tr>']), "ok"),
        Case("docx-table", "gridSpan démesuré ou invalide", lambda f: _table_docx(f, "span.docx", [
            f'<w:tr>{_cell_xml("Lot 1 : Nettoyage", span=10**9)}{_cell_xml("120 000 €")}</w:tr>',
            '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="abc"/></w:tcPr><w:p><w:r><w:t>Lot 2</w:t></w:r></w:p></w:tc></w:tr>']), "ok"),
        Case("long-text", "10 000 paragraphes courts", lambda f: _paragraphs_docx(f, "courts.docx", [f"Article {i}." for i in range(10_000)]), "ok"),
        # XLSX tender pieces
        Case("xlsx-piece", "BPU correct", lambda f: xlsx_workbook(f, "BPU.xlsx", BPU_ROWS), "ok"),
        Case("xlsx-piece", "feuille vide", lambda f: xlsx_workbook(f, "vide.xlsx", []), "error"),
        Case("xlsx-piece", "tronqué", lambda f: _write(f, "tronque.xlsx", xlsx_workbook(f, "m.xlsx", BPU_ROWS).read_bytes()[:1500]), "error"),
        Case("xlsx-piece", "DTD", lambda f: _xlsx_replace(f, "dtd.xlsx", "xl/worksheets/sheet1.xml",
                                                           b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'), "error"),
        Case("xlsx-piece", "workbook cassé", lambda f: _xlsx_replace(f, "wb.xlsx", "xl/workbook.xml", b"<workbook"), "error"),
        Case("xlsx-piece", "CSV nommé .xlsx", lambda f: _write(f, "bpu.xlsx", b"Code;Designation\n1;Nettoyage\n"), "error"),
        Case("xlsx-piece", "21 000 lignes sans dimension", lambda f: _xlsx_rows_stream(f, "grand.xlsx", 21_000), "warning"),
        Case("xlsx-piece", "valeurs spéciales", lambda f: xlsx_workbook(f, "speciales.xlsx", [
            ["=HYPERLINK(\"http://x\")", float("inf"), True, None], [1e308, -0.0, "a\u0085b", 12345678901234567890]]), "ok"),
    ]
    return cases


# ---------------------------------------------------------------------------------------------- supplier directory

VALID_SIRETS = ["41071771400035", "80750085500034", "38467557500029"]
HEADER = "Siret,Raison sociale,Type,Adresse,Code postal,Ville,Secteurs d'activité,Effectif"


def supplier_csv(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return path


def supplier_line(siret: str = VALID_SIRETS[0], name: str = "Régie Créteil", kind: str = "EI", headcount: str = "12",
                  postcode: str = "94000", city: str = "Créteil") -> str:
    return f'{siret},"{name}",{kind},1 rue X,{postcode},{city},Nettoyage,{headcount}'


def _million_rows(folder: Path) -> Path:
    path = folder / "million.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        line = supplier_line() + "\n"
        for _ in range(100):
            handle.write(line * 10_000)
    return path


def supplier_file_cases() -> list[Case]:
    """Whole files the directory import must refuse (French message, directory unchanged)."""
    return [
        Case("supplier-file", "champ de 200 000 caractères", lambda f: supplier_csv(f, "long.csv", [supplier_line(name="x" * 200_000)]), "error"),
        Case("supplier-file", "guillemet jamais fermé sur 200 000 caractères", lambda f: supplier_csv(f, "guillemet.csv", ['"' + "y" * 200_000]), "error"),
        Case("supplier-file", "CSV nommé .xlsx", lambda f: supplier_csv(f, "annuaire.xlsx", [supplier_line()]), "error"),
        Case("supplier-file", "XLSX vide (0 octet)", lambda f: _write(f, "vide.xlsx", b""), "error"),
        Case("supplier-file", "XLSX tronqué", lambda f: _write(f, "tronque.xlsx", xlsx_workbook(f, "m.xlsx", [["Siret"], [VALID_SIRETS[0]]]).read_bytes()[:1500]), "error"),
        Case("supplier-file", "XLSX feuille vide", lambda f: xlsx_workbook(f, "feuille_vide.xlsx", []), "error"),
        Case("supplier-file", "XLSX avec DTD", lambda f: _xlsx_replace(f, "dtd.xlsx", "xl/worksheets/sheet1.xml",
                                                                         b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'), "error"),
        Case("supplier-file", "XLSX 400 000 lignes (40 Mo de XML)", lambda f: _xlsx_rows_stream(f, "enorme.xlsx", 400_000), "error"),
        Case("supplier-file", "CSV d'un million de lignes", _million_rows, "error"),
        Case("supplier-file", "fichier vide", lambda f: _write(f, "vide.csv", b""), "error"),
        Case("supplier-file", "dossier", _directory, "error"),
        Case("supplier-file", "fichier absent", lambda f: f / "absent.csv", "error"),
        Case("supplier-file", "XLS 97", lambda f: _ole(f, "ancien.xls"), "error"),
        Case("supplier-file", "octets nuls", lambda f: _write(f, "nuls.csv", HEADER.encode() + b"\n" + b"\0" * 300), "error"),
    ]


def supplier_row_cases() -> list[tuple[str, str, str]]:
    """(class, line, expected substring of the rejection) — the row is rejected, the others imported."""
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in VALID_SIRETS[0])
    arabic = "".join(chr(0x0660 + int(d)) for d in VALID_SIRETS[0])
    return [
        ("siret", supplier_line(siret="00000000000000"), "nul"),
        ("siret", supplier_line(siret=fullwidth), "chiffres non standard"),
        ("siret", supplier_line(siret=arabic), "chiffres non standard"),
        ("siret", supplier_line(siret="41071771400036"), "clé"),
        ("siret", supplier_line(siret="4107177140003"), "14 chiffres"),
        ("siret", supplier_line(siret="410717714000355"), "14 chiffres"),
        ("siret", supplier_line(siret="4107177140003A"), "14 chiffres"),
        ("siret", supplier_line(siret=""), "14 chiffres"),
        ("siret", supplier_line(siret="=1+1"), "14 chiffres"),
        ("siret", supplier_line(siret="35600000000002"), "La Poste"),
        ("headcount", supplier_line(headcount="1" * 40), "invraisemblable"),
        ("headcount", supplier_line(headcount="-5"), "invalide"),
        ("headcount", supplier_line(headcount="douze"), "invalide"),
        ("headcount", supplier_line(headcount="1e9"), "invalide"),
        ("headcount", supplier_line(headcount="99999999"), "invraisemblable"),
        ("supplier-row", supplier_line(kind="XYZ"), "type de structure"),
        ("supplier-row", supplier_line(kind="\x1b[31m"), "type de structure"),
        ("supplier-row", supplier_line(name=""), "raison sociale"),
        ("supplier-row", supplier_line(name="\x01\x02\x1b"), "raison sociale"),
        ("supplier-row", supplier_line(name="N" * 400), "trop longue"),
    ]


UNKNOWN_MAPPINGS = [
    ({"siret": "Siret", "name": "Nom", "kind": "Type", "foo": "bar"}, "inconnu"),
    ({"siret": "Siret", "name": "Nom", "kind": "Type", "row_filter": "x"}, "inconnu"),
    ({"siret": "Siret", "name": "Nom"}, "au moins"),
    ({"siret": "Siret", "kind": "Type"}, "au moins"),
    ({"siret": "Siret", "name": "Nom", "fixed_kind": "LICORNE"}, "inconnu"),
    ({"siret": "", "name": "Nom", "kind": "Type"}, "au moins"),
]


# ---------------------------------------------------------------------------------------------- DECP


def decp_record(identifier="2025-001", **fields) -> dict:
    record = {"id": identifier, "acheteur": {"id": "21940081800011", "nom": "Ville de Vitry-sur-Seine"},
              "objet": "Travaux de peinture des écoles", "codeCPV": "45442100", "procedure": "Appel d'offres ouvert",
              "lieuExecution": {"code": "94081", "typeCode": "Code commune"}, "dureeMois": 12,
              "dateNotification": "2025-03-01", "montant": 150000,
              "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "41071771400035"}}],
              "considerationsSociales": {"considerationSociale": ["Clause sociale"]}}
    record.update(fields)
    return record


def decp_json(folder: Path, name: str, data, raw: str | None = None) -> Path:
    path = folder / name
    path.write_text(raw if raw is not None else json.dumps(data, ensure_ascii=False, allow_nan=True), encoding="utf-8")
    return path


def decp_file_cases() -> list[Case]:
    """DECP exports refused as a whole (French message, database unchanged)."""
    good = {"marches": {"marche": [decp_record()]}}
    return [
        Case("decp-top", "liste", lambda f: decp_json(f, "liste.json", [good]), "error"),
        Case("decp-top", "texte", lambda f: decp_json(f, "texte.json", "marches"), "error"),
        Case("decp-top", "null", lambda f: decp_json(f, "null.json", None), "error"),
        Case("decp-top", "nombre", lambda f: decp_json(f, "nombre.json", 42), "error"),
        Case("decp-top", "marches texte", lambda f: decp_json(f, "marches.json", {"marches": "aucun"}), "error"),
        Case("decp-top", "marche texte", lambda f: decp_json(f, "marche.json", {"marches": {"marche": "aucun"}}), "error"),
        Case("decp-top", "marches nombre", lambda f: decp_json(f, "marches_n.json", {"marches": 3}), "error"),
        Case("decp-top", "clé marches absente", lambda f: decp_json(f, "sans_cle.json", {"marche": [decp_record()]}), "error"),
        Case("decp-csv", "consolidé sans objet", lambda f: _write(f, "consolide.csv", b"uid,id,codeCPV,montant,dateNotification,"
                                                                 b"acheteur_id,titulaire_id\n1x,x,45214200,1000,2024-12-31,1,2\n"), "error"),
        Case("decp-json", "200 000 crochets", lambda f: decp_json(f, "crochets.json", None, "[" * 200_000 + "]" * 200_000), "error"),
        Case("decp-json", "200 000 accolades", lambda f: decp_json(f, "accolades.json", None, '{"a":' * 200_000 + "1" + "}" * 200_000), "error"),
        Case("decp-json", "JSON invalide", lambda f: decp_json(f, "invalide.json", None, '{"marches": [}'), "error"),
        Case("decp-json", "JSON tronqué", lambda f: decp_json(f, "tronque.json", None, json.dumps(good)[:40]), "error"),
        Case("decp-json", "pas UTF-8", lambda f: _write(f, "latin.json", json.dumps(good, ensure_ascii=False).encode("latin-1", "replace") + "é".encode("latin-1")), "error"),
        Case("decp-json", "vide", lambda f: _write(f, "vide.json", b""), "error"),
        Case("decp-json", "entier de 5 000 chiffres", lambda f: decp_json(f, "entier.json", None, '{"marches": [{"montant": ' + "9" * 5000 + "}]}"), "error"),
        Case("decp-csv", "gz corrompu", lambda f: _write(f, "corrompu.csv.gz", gzip.compress(b"id,objet\n1,x\n" * 1000)[:200]), "error"),
        Case("decp-csv", "gz qui n'en est pas", lambda f: _write(f, "faux.csv.gz", b"pas du gzip"), "error"),
        Case("decp-csv", "colonnes absentes", lambda f: _write(f, "colonnes.csv", b"a,b\n1,2\n"), "error"),
        Case("decp-csv", "binaire", lambda f: _write(f, "binaire.csv", bytes(range(256)) * 50), "error"),
        Case("decp-csv", "vide", lambda f: _write(f, "vide.csv", b""), "error"),
        Case("decp-csv", "dossier", _directory, "error"),
    ]


def decp_contract_cases() -> list[tuple[str, str, object, str]]:
    """(class, name, bad record, start of its French report): the contract, second of the file, is left out
    ("marché 2 (id b) : le champ « … » devrait être …, c'est … : ignoré"), the good one imported."""
    field = "marché 2 (id b) : le champ « {} » devrait être"
    return [
        ("decp-schema", "considérations nombre", decp_record("b", considerationsSociales=3), field.format("considerationsSociales")),
        ("decp-schema", "titulaires texte", decp_record("b", titulaires="41071771400035"), field.format("titulaires") + " une liste, c'est un texte"),
        ("decp-schema", "titulaire en texte dans la liste", decp_record("b", titulaires=["41071771400035"]), field.format("titulaires[1]") + " un objet, c'est un texte"),
        ("decp-schema", "titulaires objet", decp_record("b", titulaires={"titulaire": {}}), field.format("titulaires") + " une liste, c'est un objet"),
        ("decp-schema", "titulaire texte", decp_record("b", titulaires=[{"titulaire": "x"}]), field.format("titulaires[1].titulaire")),
        ("decp-schema", "acheteur texte", decp_record("b", acheteur="Ville"), field.format("acheteur") + " un objet, c'est un texte"),
        ("decp-schema", "lieu liste", decp_record("b", lieuExecution=["94081"]), field.format("lieuExecution") + " un objet, c'est une liste"),
        ("decp-schema", "id objet", decp_record("b", id={"x": 1}), "marché 2 : le champ « id » devrait être un texte ou un nombre, c'est un objet"),
        ("decp-schema", "id liste", decp_record("b", id=[1]), "marché 2 : le champ « id » devrait être"),
        ("decp-schema", "objet nombre", decp_record("b", objet=12), field.format("objet") + " un texte, c'est un nombre"),
        ("decp-schema", "objet liste", decp_record("b", objet=["Travaux", "de peinture"]), field.format("objet") + " un texte, c'est une liste"),
        ("decp-schema", "procédure liste", decp_record("b", procedure=["Appel d'offres ouvert"]), field.format("procedure")),
        ("decp-schema", "marché texte", "un marché", "marché 2 : ce marché devrait être un objet, c'est un texte"),
        ("decp-schema", "marché null", None, "marché 2 : ce marché devrait être un objet, il est vide (null)"),
        ("decp-schema", "montant objet", decp_record("b", montant={"valeur": 1}), field.format("montant") + " un nombre, c'est un objet"),
        ("decp-schema", "code CPV liste", decp_record("b", codeCPV=["45"]), field.format("codeCPV")),
        ("decp-schema", "montant liste", decp_record("b", montant=[1000]), field.format("montant") + " un nombre, c'est une liste"),
        ("decp-schema", "considération nombre", decp_record("b", considerationsSociales={"considerationSociale": 3}),
         field.format("considerationsSociales.considerationSociale")),
        ("decp-schema", "considération nombre dans la liste", decp_record("b", considerationsSociales={"considerationSociale": [1]}),
         field.format("considerationsSociales.considerationSociale[1]")),
        ("decp-schema", "lieu texte", decp_record("b", lieuExecution="Vitry"), field.format("lieuExecution")),
        ("decp-schema", "acheteur nombre", decp_record("b", acheteur=21940081800011), field.format("acheteur") + " un objet, c'est un nombre"),
        ("decp-schema", "nom d'acheteur liste", decp_record("b", acheteur={"id": "1", "nom": ["Ville"]}), field.format("acheteur.nom")),
        ("decp-schema", "titulaire id objet", decp_record("b", titulaires=[{"titulaire": {"id": {"a": 1}}}]), field.format("titulaires[1].titulaire.id")),
        ("decp-schema", "objet vide", decp_record("b", objet=""), "marché 2 (id b) : objet du marché absent ou trop court : ignoré"),
    ]


# Records whose type is not the schema's but whose meaning is plain: read, as the consolidated export writes them.
# (name, record, expected social kinds, expected amount)
DECP_LENIENT = [
    ("considérations en texte joint par des virgules", decp_record("b", considerationsSociales="Clause sociale, Critère social"), "clause,criterion", 150000.0),
    ("considérations « Sans objet »", decp_record("b", considerationsSociales="Sans objet", objet="Fourniture de papier"), "", 150000.0),
    ("considérations en liste nue", decp_record("b", considerationsSociales=["Marché réservé"]), "reserved", 150000.0),
    ("considération seule sans liste", decp_record("b", considerationsSociales={"considerationSociale": "Clause sociale"}), "clause", 150000.0),
    ("montant en texte à virgule", decp_record("b", montant="150 000,50"), "clause", 150000.5),
    ("id numérique", decp_record(2025001), "clause", 150000.0),
]


# (class, montant as found, expected float or None when refused)
DECP_AMOUNTS = [
    ("decp-amount", -1000, None), ("decp-amount", "-1000", None), ("decp-amount", "1 000 000", 1_000_000.0),
    ("decp-amount", "1\u202f000\u202f000", 1_000_000.0), ("decp-amount", "12,5", 12.5), ("decp-amount", "1.000.000,50", 1_000_000.5),
    ("decp-amount", "1,000,000.50", 1_000_000.5), ("decp-amount", "1e309", None), ("decp-amount", float("inf"), None),
    ("decp-amount", float("nan"), None), ("decp-amount", 10**400, None), ("decp-amount", "NaN", None),
    ("decp-amount", "abc", None), ("decp-amount", True, None), ("decp-amount", 26130, 26130.0),
    ("decp-amount", "26130.5", 26130.5), ("decp-amount", 1e13, None), ("decp-amount", "150 000 €", 150000.0),
    ("decp-amount", "1 000,50", 1000.5), ("decp-amount", "\u22121000", None), ("decp-amount", "0", 0.0),
    ("decp-amount", "  42  ", 42.0), ("decp-amount", "1" * 60, None),
]
# (date as found, ISO expected or None when refused)
DECP_DATES = [
    ("2023-05-04", "2023-05-04"), ("04/05/2023", "2023-05-04"), ("2019-03-01+01:00", "2019-03-01"),
    ("2023-05-04T10:00:00Z", "2023-05-04"), ("31/02/2023", None), ("2023-13-01", None), ("hier", None),
    ("0218-10-29", None), ("4/5/2023", "2023-05-04"), (20230504, None), ("", None), ("31/12/1899", None),
    ("2023-05-04 10:30:00", "2023-05-04"), ("04-05-2023", None),
]


# ---------------------------------------------------------------------------------------------- exports

HOSTILE_NAMES = ['=HYPERLINK("http://exemple.invalid","clic")', "+33 1 23", "-2+3", "@SOMME(A1:A2)", "\t=1+1",
                 "\r=1+1", "  =1+1", "\uff1d1+1", "Ville\x00de Paris", "Mairie\x1b[31m", "Nom\x07cloche",
                 "Commune\x0bverticale", "Texte\u0085NEL", "Ordinaire"]


def corpus_size() -> dict[str, int]:
    """Cases per class, for the report."""
    counts: dict[str, int] = {}

    def add(klass: str, n: int = 1) -> None:
        counts[klass] = counts.get(klass, 0) + n

    for case in ingest_cases() + supplier_file_cases() + decp_file_cases():
        add(case.klass)
    for klass, *_ in supplier_row_cases():
        add(klass)
    add("supplier-mapping", len(UNKNOWN_MAPPINGS))
    for klass, *_ in decp_contract_cases():
        add(klass)
    add("decp-lenient", len(DECP_LENIENT))
    add("decp-amount", len(DECP_AMOUNTS))
    add("decp-date", len(DECP_DATES))
    add("export", len(HOSTILE_NAMES) * 2)
    return counts
