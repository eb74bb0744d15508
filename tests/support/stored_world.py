"""A real development DCE as a buyer uploads it, for the stored-analysis tests and their version-0 fixture.

The pieces of ``dce-real/vsgp_infogerance`` as published, except the CCAP: the buyer's CCAP must be a Word file for
the tracked-changes output, so its PDF text is written into a DOCX (one paragraph per line, "ARTICLE n" lines as
headings). Deterministic: the fixture builder (``tests/support/build_stored_analysis_v0.py``) and the tests upload
the same bytes.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

TENDER = "vsgp_infogerance"
CCAP_DOCX = "CCAP.docx"
FIXTURE_V0 = Path(__file__).parent / "stored_analysis_v0_vsgp.json"
ARTICLE_RE = re.compile(r"^\s*(article|art\.)\s*\d+", re.IGNORECASE)


def ccap_docx(pdf: Path) -> bytes:
    """The real CCAP's text as a Word document (python-docx, fixed core properties so the bytes are stable)."""
    import docx
    import pdfplumber

    document = docx.Document()
    with pdfplumber.open(pdf) as reader:
        for page in reader.pages:
            for line in (page.extract_text() or "").splitlines():
                line = line.strip()
                if not line:
                    continue
                if ARTICLE_RE.match(line):
                    document.add_heading(line, level=1)
                else:
                    document.add_paragraph(line)
    from datetime import datetime

    document.core_properties.created = document.core_properties.modified = datetime(2026, 12, 1)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every member dated 1980-01-01: python-docx stamps members with the time of saving."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(zipfile.ZipInfo(member.filename, (1980, 1, 1, 0, 0, 0)), source.read(member))
    return out.getvalue()


def pieces(shared_data: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every piece, the CCAP as DOCX."""
    import yaml

    folder = shared_data / "dce-real" / TENDER
    names = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))["files"]
    files = []
    for name in names:
        if name == "CCAP.pdf":
            files.append((CCAP_DOCX, ccap_docx(folder / name)))
        else:
            files.append((name, (folder / name).read_bytes()))
    return files


def analysed_world(sessions, shared_data: Path):
    """A buyer (Vallée Sud - Grand Paris), a working-group member, the demo directory and the DCE analysed once:
    (workspace, buyer, reviewer, tender id)."""
    from procure.directory.demo import demo_suppliers
    from procure.directory.suppliers import SupplierRepository
    from procure.service.workspace import SYSTEM, Workspace

    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    town = ws.create_organisation("Vallée Sud - Grand Paris", actor=SYSTEM)
    group = ws.create_organisation("Groupe achats responsables", actor=SYSTEM)
    ws.create_user("a@vsgp.fr", "motdepasse-solide", "Alice Martin", "buyer", town, actor=SYSTEM)
    ws.create_user("r@groupe.fr", "motdepasse-solide", "René Petit", "reviewer", group, actor=SYSTEM)
    buyer = ws.authenticate("a@vsgp.fr", "motdepasse-solide")
    reviewer = ws.authenticate("r@groupe.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Infogérance", shared_with_group=True)
    ws.add_documents(buyer, tender_id, pieces(shared_data))
    ws.analyse(buyer, tender_id)
    return ws, buyer, reviewer, tender_id
