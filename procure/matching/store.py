"""The supplier index built once and kept, for every analysis of a process and across restarts.

An analysis used to reload the whole directory and every stored DECP contract and rebuild the index (6 + 5 s at
200 000 structures, more with the national DECP). The index is now keyed on a version of the data it is built
from: the suppliers table (row count, highest id, last update, lowest and highest SIRET, and sums of the columns
matching reads, so that an update in place counts) and the contracts table (procure.market.similar's version).
It is kept in the process, and on disk under the procure home (`indexes/`), and rebuilt only when an import,
an update or a deletion changes one of them. An in-memory database keeps it in the process only.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from pathlib import Path

from sqlalchemy import func, select

from procure.db.models import SupplierRow

logger = logging.getLogger(__name__)

SCHEMA = 2  # bump when SupplierIndex changes shape: older files are then rebuilt
BUILDS = {"count": 0}  # indexes built in this process (the tests count them)
_MEMORY: dict[str, tuple[tuple, object]] = {}
_LOCK = threading.Lock()


def suppliers_version(sessions) -> tuple:
    """What changes whenever a structure is added, removed or updated (one aggregate query)."""
    length = func.length
    with sessions() as session:
        row = session.execute(select(
            func.count(SupplierRow.id), func.max(SupplierRow.id), func.max(SupplierRow.updated_at),
            func.min(SupplierRow.siret), func.max(SupplierRow.siret),
            func.sum(length(SupplierRow.kinds) + length(func.coalesce(SupplierRow.naf, ""))
                     + length(func.coalesce(SupplierRow.activities, "")) + length(func.coalesce(SupplierRow.commune_insee, ""))),
            func.sum(func.coalesce(SupplierRow.headcount, 0)),
            func.sum(func.coalesce(SupplierRow.latitude, 0.0) + func.coalesce(SupplierRow.longitude, 0.0)))).one()
    return tuple(value if value is None or isinstance(value, (int, str)) else
                 round(float(value), 6) if isinstance(value, float) else str(value) for value in row)


def data_version(sessions, with_awards: bool = True) -> tuple:
    from procure.market.similar import ContractRepository

    awards = ContractRepository(sessions).version() if with_awards else ()
    return (SCHEMA, with_awards, *suppliers_version(sessions), *awards)


def supplier_index(sessions, with_awards: bool = True):
    """The SupplierIndex of the stored directory (with the stored contracts' past awards), at the data's current
    version: from this process, else from disk, else built once and kept. None when the directory is empty."""
    from procure.market.similar import database_key, index_folder

    version = data_version(sessions, with_awards)
    if not version[2]:  # no supplier
        return None
    key = f"{database_key(sessions)}|{with_awards}"
    with _LOCK:
        kept = _MEMORY.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        base = index_folder(sessions, "suppliers-awards" if with_awards else "suppliers-alone")
        path = base.with_name(f"{base.name}-{_hash(version)}.pickle") if base is not None else None
        index = _load(path, version) if path is not None else None
        if index is None:
            index = build(sessions, with_awards)
            if path is not None:
                _save(path, version, index)
                _remove_stale(base, path)
        if len(_MEMORY) >= 4:
            _MEMORY.pop(next(iter(_MEMORY)))
        _MEMORY[key] = (version, index)
        return index


def build(sessions, with_awards: bool = True):
    from procure.directory.suppliers import SupplierRepository
    from procure.market.similar import ContractRepository
    from procure.matching.match import SupplierIndex

    BUILDS["count"] += 1
    suppliers = SupplierRepository(sessions).all()
    sirets = {supplier.siret for supplier in suppliers}
    contracts = ContractRepository(sessions).awards_frame(sirets) if with_awards and sirets else None
    return SupplierIndex(suppliers, contracts if contracts is not None and not contracts.empty else None)


def forget() -> None:
    """Drop the indexes kept in this process (the files stay)."""
    with _LOCK:
        _MEMORY.clear()


def _hash(version: tuple) -> str:
    return hashlib.sha1(json.dumps([str(value) for value in version]).encode()).hexdigest()[:12]


def _save(path: Path, version: tuple, index) -> None:
    """Written beside, then renamed into place: a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            pickle.dump((SCHEMA, [str(value) for value in version], index), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        logger.warning("supplier index not kept on disk in %s", path.parent, exc_info=True)


def _load(path: Path, version: tuple):
    """The index written by this module for this very version (procure's own file in its home), else None."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as file:
            schema, written, index = pickle.load(file)  # noqa: S301 - a file procure wrote in its own data folder
    except Exception:  # noqa: BLE001 - an unreadable or older file is rebuilt
        logger.warning("supplier index in %s unreadable: rebuilt", path, exc_info=True)
        return None
    if schema != SCHEMA or written != [str(value) for value in version]:
        return None
    from dataclasses import fields

    from procure.directory.suppliers import Supplier

    columns = getattr(getattr(index, "suppliers", None), "columns", None)
    if columns is not None and set(columns) != {f.name for f in fields(Supplier)}:
        return None  # written by a version of procure whose structures had other fields
    return index


def _remove_stale(base: Path, current: Path) -> None:
    for path in base.parent.glob(f"{base.name}-*.pickle"):
        if path != current:
            path.unlink(missing_ok=True)


def warm(sessions) -> dict[str, bool]:
    """Build (or read back) both kept indexes now, right after an import, so that the next upload does not pay for
    it; what failed is logged and left to the next analysis. Returns which index is ready."""
    from procure.market.similar import comparable_index

    ready = {}
    for name, make in (("contracts", comparable_index), ("suppliers", supplier_index)):
        try:
            ready[name] = make(sessions) is not None
        except Exception:  # noqa: BLE001 - an import must not fail because an index could not be prepared
            logger.warning("%s index not prepared after the import", name, exc_info=True)
            ready[name] = False
    return ready
