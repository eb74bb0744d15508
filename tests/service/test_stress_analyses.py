"""Ten analyses asked at once, through the queue, on the largest real dossiers of ../shared/data/dce-real (plus
a truncated copy of the largest PDF and the 2020 Rennes notice with DECP contracts imported): every job ends
done or failed with a French reason, the dispatcher of this process (the "server") stays alive, never more
workers run than allowed, and every job done has its analysis stored (issue 21)."""
import time

import pandas as pd
import pytest

from procure.db import make_engine, migrate, session_factory
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import SupplierRepository
from procure.market.decp import read_flat_csv
from procure.market.similar import ContractRepository
from procure.service import jobs
from procure.service.workspace import SYSTEM, Workspace

DOSSIERS = 8  # the largest real dossiers by size; with the truncated PDF and the 2020 notice, ten jobs
WORKERS = 3
PIECES = (".pdf", ".docx", ".xlsx", ".xml", ".json")


def largest_dossiers(root, count):
    folders = [f for f in root.iterdir() if f.is_dir()]
    size = {f: sum(p.stat().st_size for p in f.iterdir() if p.suffix.lower() in PIECES) for f in folders}
    return sorted((f for f in folders if size[f]), key=size.get, reverse=True)[:count]


def test_ten_concurrent_analyses_all_end_with_a_state(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("PROCURE_ANALYSIS_WORKERS", str(WORKERS))
    engine = make_engine(f"sqlite:///{tmp_path / 'stress.sqlite'}")  # SQLite: the database where writers contend
    migrate(engine)
    sessions = session_factory(engine)
    SupplierRepository(sessions).upsert(demo_suppliers())
    ContractRepository(sessions).import_frame(pd.DataFrame(read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz")).head(1500))
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Ville", actor=SYSTEM)
    ws.create_user("a@ville.fr", "motdepasse-solide", "Acheteuse", "buyer", organisation, actor=SYSTEM)
    buyer = ws.authenticate("a@ville.fr", "motdepasse-solide")
    root = shared_data / "dce-real"
    dossiers = {f.name: [(p.name, p.read_bytes()) for p in sorted(f.iterdir()) if p.suffix.lower() in PIECES]
                for f in largest_dossiers(root, DOSSIERS)}
    assert "vsgp_infogerance" in dossiers  # its 69-page CCTP is the largest real PDF
    largest = max((piece for pieces in dossiers.values() for piece in pieces if piece[0].endswith(".pdf")),
                  key=lambda piece: len(piece[1]))
    dossiers["tronqué"] = [("CCTP_tronqué.pdf", largest[1][: len(largest[1]) // 2])]
    dossiers["boamp_20-100932"] = [(p.name, p.read_bytes()) for p in (root / "boamp_20-100932").glob("*.pdf")]
    assert len(dossiers) == 10
    ids = {}
    for name, pieces in dossiers.items():
        ids[name] = ws.create_tender(buyer, "Consultation déposée")
        ws.add_documents(buyer, ids[name], pieces)
    try:
        for tender_id in ids.values():
            ws.enqueue_analysis(buyer, tender_id)
        dispatcher = jobs.start_dispatcher(sessions)
        most = 0
        deadline = time.monotonic() + 600  # a bound for a loaded machine, not a speed requirement
        while time.monotonic() < deadline:
            states = {name: ws.analysis_state(buyer, tender_id) for name, tender_id in ids.items()}
            most = max(most, sum(s.state == "running" for s in states.values()), len(dispatcher.children))
            if not any(s.active for s in states.values()):
                break
            assert dispatcher.is_alive()
            time.sleep(0.3)
        else:
            pytest.fail(f"analyses encore en cours : { {n: s.label_fr for n, s in states.items() if s.active} }")
        while dispatcher.children and time.monotonic() < deadline:  # the last workers exit after writing their state
            time.sleep(0.2)
        assert dispatcher.is_alive() and not dispatcher.children
        assert 1 < most <= WORKERS
        for name, state in states.items():
            assert state.state in ("done", "failed"), (name, state)
            if state.state == "failed":
                assert state.error and state.error[0].isupper(), (name, state)
            else:
                items = ws.review_items(buyer, ids[name])
                assert items["tender"]["version"] == 1 and items["tender"]["analysis"] is not None, name
        assert states["vsgp_infogerance"].state == "done"
        rennes = ws.review_items(buyer, ids["boamp_20-100932"])
        assert states["boamp_20-100932"].state == "done" and len(rennes["lots"]) == 8  # 2020, with DECP: read
        truncated = ws.documents(buyer, ids["tronqué"])
        assert states["tronqué"].state == "done" and truncated[0]["problem"]  # said for the file, no crash
    finally:
        jobs.stop_dispatchers()
        engine.dispose()
