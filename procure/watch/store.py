"""The notices the watch has read, in the database: a re-run skips known notices, a change notice replaces the
notice it modifies in the listings (both rows kept), whatever order they come in."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import WatchNotice
from procure.watch.assess import WatchedNotice


class WatchStore:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def known(self, keys: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self.sessions() as session:
            for start in range(0, len(keys), 500):  # bounded IN lists
                found |= set(session.scalars(select(WatchNotice.key).where(WatchNotice.key.in_(keys[start:start + 500]))))
        return found

    def save(self, watched: WatchedNotice) -> None:
        """Store a notice read for the first time (a known key is left as stored: the notice is the same).

        Two runs reading the same notice at once: the second insert meets the unique key and is dropped."""
        if watched.key in self.known([watched.key]):
            return
        try:
            self._save(watched)
        except IntegrityError:
            if watched.key not in self.known([watched.key]):
                raise

    def _save(self, watched: WatchedNotice) -> None:
        with self.sessions.begin() as session:
            row = _row(watched)
            # A later notice already published modifies this one (they can come in any order).
            newer = session.scalars(select(WatchNotice).where(WatchNotice.modifies == watched.key)
                                    .order_by(WatchNotice.published.desc().nulls_last(), WatchNotice.id.desc())).first()
            if newer is not None:
                row.replaced_by = newer.key
            session.add(row)
            if watched.modifies:
                for older in session.scalars(select(WatchNotice).where(WatchNotice.key == watched.modifies)):
                    older.replaced_by = watched.key

    def notices(self, territory: str | None = None, since: date | None = None, until: date | None = None,
                buyer: str | None = None, flagged: bool | None = None, latest_only: bool = True) -> list[WatchedNotice]:
        """Notices as last published, newest first; `territory`: a department, a commune (INSEE) or an EPCI (SIREN)."""
        query = select(WatchNotice)
        if latest_only:
            query = query.where(WatchNotice.replaced_by.is_(None))
        if since:
            query = query.where(WatchNotice.published >= since)
        if until:
            query = query.where(WatchNotice.published <= until)
        if flagged is not None:
            query = query.where(WatchNotice.flagged.is_(flagged))
        if territory:
            query = query.where(territory_clause(territory.strip().upper()))
        if buyer:
            query = query.where(WatchNotice.buyer.ilike(f"%{buyer.strip()}%"))
        query = query.order_by(WatchNotice.published.desc().nulls_last(), WatchNotice.id)
        with self.sessions() as session:
            return [WatchedNotice.from_dict(json.loads(row.payload_json)) for row in session.scalars(query)]


def territory_clause(code: str):
    if len(code) == 9 and code.isdigit():
        return WatchNotice.epci == code
    if len(code) == 5:
        return WatchNotice.commune_insee == code
    return WatchNotice.department == code


def _row(watched: WatchedNotice) -> WatchNotice:
    return WatchNotice(key=watched.key, name=watched.name, kind=watched.kind, modifies=watched.modifies,
                       published=watched.published, department=watched.department,
                       commune_insee=watched.commune_insee, epci=watched.epci, buyer=watched.buyer,
                       obligation=watched.obligation, social=watched.social, flagged=watched.flagged,
                       payload_json=json.dumps(watched.to_dict(), ensure_ascii=False, default=str))
