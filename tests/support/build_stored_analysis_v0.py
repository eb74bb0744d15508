"""Write tests/support/stored_analysis_v0_vsgp.json: the analysis procure stored before its schema was versioned.

It runs the code of that time (commit fde2c42, the last one before the schema) from a scratch worktree: it
analyses the real development DCE of ``stored_world`` in a scratch SQLite database and keeps
``tenders.analysis_json`` as written, so that the tests check that an analysis stored by that version still reads
and renders. Never regenerate it with newer code: it would stop being an old analysis.

    git worktree add /tmp/procure-v0 fde2c42
    PYTHONPATH=/tmp/procure-v0 PROCURE_SHARED_DATA=../shared/data python tests/support/build_stored_analysis_v0.py
    git worktree remove /tmp/procure-v0
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import stored_world  # noqa: E402


def main() -> None:
    import procure
    from procure.db import make_engine, migrate, session_factory
    from procure.db.models import TenderRow

    print(f"procure from {Path(procure.__file__).parent}")

    shared = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PROCURE_HOME"] = str(Path(folder) / "home")
        engine = make_engine(f"sqlite:///{Path(folder) / 'v0.sqlite'}")
        migrate(engine)
        sessions = session_factory(engine)
        _, _, _, tender_id = stored_world.analysed_world(sessions, shared)
        with sessions() as session:
            text = session.get(TenderRow, tender_id).analysis_json
        engine.dispose()
    stored_world.FIXTURE_V0.write_text(text + "\n", encoding="utf-8")
    print(f"{stored_world.FIXTURE_V0}: {len(text)} characters")


if __name__ == "__main__":
    main()
