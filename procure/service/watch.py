"""The territorial watch in the working space: administrators and the working group read notice files and
consult the notices of a territory (buyers consult them too: the notices are published)."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path, PurePath

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from procure.service import access
from procure.service.access import Actor
from procure.service.accounts import resolve
from procure.service.schema import Role
from procure.watch.assess import WatchedNotice
from procure.watch.run import Progress, WatchRun, run_watch, supplier_index
from procure.watch.store import WatchStore

READERS_FR = "La lecture d'avis est réservée aux administrateurs et au groupe de travail achats responsables."


class Watch:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        self.store = WatchStore(sessions)

    def can_read_notices(self, actor: Actor) -> bool:
        with self.sessions() as session:
            return resolve(session, actor).role in (Role.ADMIN, Role.REVIEWER)

    def read_notices(self, actor: Actor, files: list[tuple[str, bytes]], progress: Progress | None = None) -> WatchRun:
        """Files uploaded in the app (eForms XML, BOAMP exports, PDF notices), read as `procure veille` does."""
        access.require(self.can_read_notices(actor), READERS_FR)
        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for number, (name, content) in enumerate(files):
                # The name only (no folder part), one folder each so that two uploads of the same name stay apart.
                path = Path(folder, f"{number:04d}", PurePath(name).name or "avis")
                path.parent.mkdir()
                path.write_bytes(content)
                paths.append(path)
            return run_watch(paths, self.store, supplier_index(self.sessions), progress)

    def watched_notices(self, actor: Actor, territory: str | None = None, since: date | None = None,
                        until: date | None = None, buyer: str | None = None,
                        flagged: bool | None = None) -> list[WatchedNotice]:
        with self.sessions() as session:
            resolve(session, actor)  # an active account; the notices are public
        return self.store.notices(territory or None, since, until, buyer or None, flagged)


def notice_frame(notices: list[WatchedNotice]) -> pd.DataFrame:
    from procure.watch.report import notice_table

    return notice_table(notices)


def share_frame(notices: list[WatchedNotice], by: str) -> pd.DataFrame:
    from procure.watch.report import social_shares

    return social_shares(notices, by)


def share_benchmarks(on: date | None = None) -> dict:
    """{"target": ParameterValue, "measured": ParameterValue}: the PNAD target, the OECP measured share."""
    from procure.watch.report import benchmarks

    return benchmarks(on)


def export_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    from procure.market.practice import csv_bytes, xlsx_bytes

    return csv_bytes(frame) if kind == "csv" else xlsx_bytes(frame)


def buyer_note(buyer: str, notices: list[WatchedNotice], out: Path, since: date | None = None,
               until: date | None = None) -> Path:
    """The Word note « vos avis publiés » of one buyer (procure.watch.note)."""
    from procure.watch.note import write_buyer_note

    return write_buyer_note(buyer, notices, out, since, until)
