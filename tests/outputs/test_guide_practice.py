"""Territorial guide and practice dashboard: structure, and figures equal to those computed from the database."""
import re
from datetime import date

import docx
import pandas as pd
import pytest
from decp_records import record
from docx.oxml.ns import qn

import dce
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import SupplierRepository
from procure.market.decp import read_2024_json
from procure.market.practice import (
    Territory,
    decp_facts,
    export,
    lever_counts,
    lot_facts,
    practice_table,
    territory_figures,
)
from procure.market.similar import ContractRepository
from procure.outputs.guide import guide_data, supplier_families, write_guide
from procure.service.workspace import SYSTEM, Workspace


@pytest.fixture
def world(sessions, tmp_path):
    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    ws.create_user("a@vitry.fr", "motdepasse-solide", "Acheteuse", "buyer", organisation, actor=SYSTEM)
    buyer = ws.authenticate("a@vitry.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Travaux")
    ws.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    ws.analyse(buyer, tender_id)
    lot3 = ws.review_items(buyer, tender_id)["lots"][2]
    siae = next(s for s in lot3["suggestions"] if s["lever_id"] == "reserved_siae")
    ws.review(buyer, "suggestion", siae["id"], "accept", siae["version"])
    return sessions, tender_id


def test_territory_parsing():
    assert len(Territory.parse("94").communes) == 47
    assert Territory.parse("94028,94081").communes == {"94028", "94081"}
    assert "94081" in Territory.parse("epci:200054781").communes  # Métropole du Grand Paris
    with pytest.raises(ValueError):
        Territory.parse("99999")


def test_lot_facts_from_the_database(world):
    sessions, tender_id = world
    lots = lot_facts(sessions).set_index("lot")
    # Lots 1 and 2: insertion clause with hours in the CCAP (1 200 and 350 h) and the RC's social criterion.
    assert lots.loc[1, "insertion_hours"] == 1200 and lots.loc[2, "insertion_hours"] == 350
    assert "social_criterion" in lots.loc[1, "levers"] and lots.loc[1, "social"]
    # Lot 3: the tender-wide clause states no hours for it, and the group accepted a SIAE reservation.
    assert lots.loc[3, "insertion_hours"] == 0 and lots.loc[3, "reserved"]
    assert set(lots["year"]) == {2026} and set(lots["quarter"]) == {"2026-T3"}
    counts = lever_counts(lots.reset_index()).set_index("lever")
    assert counts.loc["reserved_siae", "lots"] == 1 and counts.loc["reserved_siae", "amount_ht"] == 910000


def test_practice_table_and_exports(world, tmp_path, shared_data):
    sessions, _ = world
    path = tmp_path / "decp.json"
    import json

    path.write_text(json.dumps({"marches": {"marche": [record("1", "Peinture", "45442100", ["Clause sociale"]),
                                                       record("2", "Conseil", "79111000", ["Pas de considération sociale"])]}},
                               ensure_ascii=False), encoding="utf-8")
    ContractRepository(sessions).import_frame(read_2024_json(path))
    table = practice_table(lot_facts(sessions), decp_facts(sessions))
    procure_row = table[table["source"] == "procure"].iloc[0]
    assert (procure_row["lots_or_contracts"], procure_row["with_social"], procure_row["reserved"]) == (3, 3, 1)
    assert procure_row["insertion_hours"] == 1550 and procure_row["share_social"] == 1.0 and procure_row["target"] == 0.3
    decp_row = table[table["source"] == "DECP"].iloc[0]
    assert (decp_row["lots_or_contracts"], decp_row["with_social"], decp_row["share_social"]) == (2, 1, 0.5)
    export(table, tmp_path / "pratiques.xlsx")
    export(table, tmp_path / "pratiques.csv")
    assert pd.read_excel(tmp_path / "pratiques.xlsx").shape == table.shape
    raw = (tmp_path / "pratiques.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]  # French Excel: BOM and semicolons
    csv = pd.read_csv(tmp_path / "pratiques.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert csv["insertion_hours"].sum() == table["insertion_hours"].sum()
    assert csv["share_social"].tolist() == table["share_social"].tolist()  # decimal comma read back as numbers
    assert b"0,5" in raw and b"0.5" not in raw


def test_guide_structure_and_figures_equal_the_database(world, tmp_path):
    sessions, _ = world
    territory = Territory.parse("94")
    data = guide_data(sessions, territory, date(2026, 11, 22))
    expected = territory_figures(lot_facts(sessions), territory)
    assert data.figures == expected and expected["lots"] == 3 and expected["insertion_hours"] == 1550
    path = write_guide(data, tmp_path / "guide.docx", page_numbers=False)
    document = docx.Document(str(path))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles[6] == ("Title", "Donneurs d’ordre publics, mode d’emploi")
    assert "Val-de-Marne" in styles[7][1]  # the territory's name, not « Département 94 »
    headings = [text for style, text in styles if style == "Heading 1"]
    assert headings[:2] == ["Sommaire", "1. Ce qui est obligatoire"] and headings[-1] == "8. Sources" and len(headings) == 9
    # The table of contents is real text listing every heading, readable without updating a field (no F9).
    texts = [text for _, text in styles]
    toc = texts[texts.index("Sommaire") + 1: texts.index("1. Ce qui est obligatoire")]
    listed = [line.split("\t")[0] for line in toc if line.strip()]
    assert listed == [text for style, text in styles[texts.index("Sommaire") + 1:]
                      if style in ("Heading 1", "Heading 2") and text not in toc]
    assert document.settings.element.find(qn("w:updateFields")) is None
    assert not any(node.text.startswith("TOC") for node in document.element.body.iter(qn("w:instrText")))
    footer = document.sections[0].footer.paragraphs[0]
    assert any(node.text == "PAGE" for node in footer._p.iter(qn("w:instrText")))
    body = "\n".join(text for _, text in styles)
    assert "216\u202f000,00\u00a0€ HT" in body and "5\u202f404\u202f000,00\u00a0€ HT" in body
    # Sources: numbered references listed in full at the end, instead of « (weka 208873) » in the text.
    sources_at = len(texts) - 1 - texts[::-1].index("8. Sources")
    listed = [t for t in texts[sources_at:] if re.match(r"\[\d+\] ", t)]
    cited = {int(n) for group in re.findall(r"\[(\d+(?:, \d+)*)\]", "\n".join(texts[:sources_at]))
             for n in group.split(", ")}
    assert listed and cited == set(range(1, len(listed) + 1))
    assert "(weka" not in "\n".join(texts[:sources_at])
    assert "numero critere" not in body and "[à compléter\u00a0: numéro du critère]" in body
    assert "Cible nationale\u00a0: 30\u202f% des marchés" in body and not re.search(r"\d%", body)
    assert any(t.endswith("Éditions Weka, document n° 208873, weka.fr") for t in listed)
    assert "833 heures" in body and "à vérifier" in body and "CMP art. 15" in "\n".join(
        c.text for t in document.tables for row in t.rows for c in row.cells)
    tables = {t.rows[0].cells[0].text: t for t in document.tables}
    values = {row.cells[0].text: row.cells[1].text for row in tables["Consultations analysées"].rows}
    assert values["Lots avec une disposition sociale"] == str(expected["lots_social"])
    assert values["Heures d’insertion prévues"] == "1\u202f550"
    assert values["Lots réservés"] == str(expected["reserved_lots"])
    assert len(document.inline_shapes) == 1  # the map
    families = supplier_families(data.suppliers)
    assert sum(count for _, count, _ in families) == len(data.suppliers) == 10
    # The sourcing list: one row per structure with kind, commune, activity and SIRET; fictitious ones say so.
    listing = tables["Structure"]
    rows = [[c.text for c in row.cells] for row in listing.rows[1:]]
    assert len(rows) == len(data.suppliers)
    by_siret = {row[4].replace("\u00a0", ""): row for row in rows}
    for supplier in data.suppliers:
        row = by_siret[supplier.siret]
        assert supplier.name in row[0] and ("fictive" in row[0].lower()) == supplier.demo
        assert row[1] == ", ".join(supplier.kinds) and row[2] == supplier.commune_name
    assert "FICTIVE" in body


def test_map_draws_outline_and_legend(world):
    sessions, _ = world
    from io import BytesIO

    from PIL import Image

    from procure.outputs.maps import KIND_COLOURS, map_png

    territory = Territory.parse("94")
    suppliers = guide_data(sessions, territory, date(2026, 11, 22)).suppliers
    image = Image.open(BytesIO(map_png(suppliers, territory))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1_000_000)}
    assert (40, 40, 40) in colours  # the department outline
    assert {KIND_COLOURS[s.kinds[0]] for s in suppliers if s.kinds[0] in KIND_COLOURS} <= colours  # dots and legend


def test_guide_without_analysed_tenders_says_so(tmp_path, sessions):
    data = guide_data(sessions, Territory.parse("38185"), date(2026, 11, 22))
    document = docx.Document(str(write_guide(data, tmp_path / "g.docx", page_numbers=False)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Aucune consultation du territoire n’a encore été analysée" in text
