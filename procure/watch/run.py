"""One watch run over files and folders: each new notice read, assessed and stored; known ones skipped."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from procure.watch.assess import assess
from procure.watch.notices import NoticeFailure, notice_items
from procure.watch.store import WatchStore

log = logging.getLogger("procure.watch")
Progress = Callable[[int, str], None]  # notices seen so far, French text


@dataclass
class WatchRun:
    read: int = 0  # notices read and stored by this run
    skipped: int = 0  # notices already stored by an earlier run
    flagged: int = 0  # of those read, « à signaler au groupe de travail »
    failures: list[NoticeFailure] = field(default_factory=list)


def supplier_index(sessions):
    """The directory's index as kept for this version of the data (procure.matching.store); None when it is empty."""
    from procure.matching import store

    return store.supplier_index(sessions, with_awards=False)


def run_watch(paths: Iterable[str | Path], store: WatchStore, index=None, progress: Progress | None = None,
              today: date | None = None) -> WatchRun:
    run = WatchRun()
    for seen, item in enumerate(notice_items(paths), 1):
        if isinstance(item, NoticeFailure):
            run.failures.append(item)
            continue
        if store.known([item.key]):
            run.skipped += 1
            continue
        if progress:
            progress(seen, f"Lecture de {item.name}")
        try:
            watched = assess(item, item.load(), index, today)
        except Exception as error:  # noqa: BLE001 — one notice's failure must cost only that notice
            log.exception("notice %s", item.name)
            run.failures.append(NoticeFailure(item.name, f"Avis non lu : erreur interne ({type(error).__name__})."))
            continue
        store.save(watched)
        run.read += 1
        run.flagged += watched.flagged
    return run
