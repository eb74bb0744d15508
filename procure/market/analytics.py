"""The DECP analysis store: every imported contract as Parquet under the procure home, read by DuckDB.

The workflow keeps its copy in the database (public_contracts: comparable contracts, past awards); the dashboard
reads this store, where a group-by over 1.5 million contracts takes a few tens of milliseconds. Layout:

    <store>/manifest.json        {"version": n, "rows": total, "parts": [{"file": "part-000001.parquet", "rows": r}]}
    <store>/part-000001.parquet  the contracts one import added (never rewritten)

An import writes its batches to a staging folder, then appends one part with the contracts the store does not hold
yet (same key as public_contracts: re-importing a file adds nothing), under a file lock, and bumps the version. The
dashboard's figures are cached per (store, version): a click recomputes nothing, an import invalidates them.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

STORE_COLUMNS = ["key", "source_id", "objet", "cpv", "division", "nature", "kind", "procedure", "montant", "year",
                 "notified", "acheteur_id", "acheteur_nom", "lieu_code", "titulaires", "social", "source_format"]
DUCKDB_MEMORY = "500MB"


def store_dir() -> Path:
    from procure import settings

    return settings.get_path("PROCURE_DECP_STORE") or settings.data_home() / "decp-parquet"


def _connect():
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    connection.execute("SET threads = 2")
    return connection


@dataclass(frozen=True)
class StoreVersion:
    root: str
    version: int
    rows: int
    files: tuple[str, ...]


class ContractStore:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else store_dir()

    # ------------------------------------------------------------ reading
    def manifest(self) -> dict:
        try:
            return json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": 0, "rows": 0, "parts": []}

    def version(self) -> StoreVersion:
        manifest = self.manifest()
        files = tuple(str(self.root / part["file"]) for part in manifest.get("parts", []))
        return StoreVersion(str(self.root), int(manifest.get("version", 0)), int(manifest.get("rows", 0)), files)

    # ------------------------------------------------------------ writing
    @contextlib.contextmanager
    def staging(self):
        """A folder for one import's batches; appended by `commit`, removed in any case."""
        self.root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="staging-", dir=self.root))
        try:
            yield Staging(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def commit(self, staging: Staging) -> int:
        """Append the staged contracts the store does not hold yet; their number."""
        if not staging.parts:
            return 0
        with self._lock():
            current = self.version()
            connection = _connect()
            try:
                staged = _files_sql([str(p) for p in staging.parts])
                query = f"SELECT * FROM read_parquet({staged}) AS s"
                if current.files:
                    query += (f" WHERE NOT EXISTS (SELECT 1 FROM read_parquet({_files_sql(current.files)}) AS c "
                              "WHERE c.key = s.key)")
                name = f"part-{current.version + 1:06d}-{uuid.uuid4().hex[:8]}.parquet"
                temporary = self.root / (name + ".tmp")
                connection.execute(f"COPY ({query}) TO '{_quoted(temporary)}' (FORMAT parquet, COMPRESSION zstd)")
                added = connection.execute(f"SELECT count(*) FROM read_parquet('{_quoted(temporary)}')").fetchone()[0]
            finally:
                connection.close()
            if not added:
                temporary.unlink(missing_ok=True)
                return 0
            temporary.replace(self.root / name)
            manifest = self.manifest()
            manifest["parts"] = [*manifest.get("parts", []), {"file": name, "rows": int(added)}]
            manifest["rows"] = int(manifest.get("rows", 0)) + int(added)
            manifest["version"] = int(manifest.get("version", 0)) + 1
            self._write_manifest(manifest)
            return int(added)

    def note_database(self, highest_id: int) -> None:
        """Remember the highest public_contracts id the store was checked against (DecpFigures.version)."""
        with self._lock():
            manifest = self.manifest()
            manifest["database_max_id"] = int(highest_id)
            self._write_manifest(manifest)

    def _write_manifest(self, manifest: dict) -> None:
        written = self.root / f"manifest.json.{uuid.uuid4().hex[:8]}.tmp"
        written.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        written.replace(self.root / "manifest.json")  # readers see the old list or the new one

    @contextlib.contextmanager
    def _lock(self):
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def sync_from_database(self, sessions) -> int:
        """Contracts of public_contracts missing from the store (imported before the store existed, or by
        ContractRepository.import_frame): appended, without nature (the table does not keep it)."""
        from sqlalchemy import select

        from procure.db.models import PublicContract

        columns = [PublicContract.key, PublicContract.source_id, PublicContract.objet, PublicContract.cpv,
                   PublicContract.division, PublicContract.procedure, PublicContract.montant, PublicContract.year,
                   PublicContract.acheteur_id, PublicContract.acheteur_nom, PublicContract.lieu_code,
                   PublicContract.titulaires, PublicContract.social, PublicContract.source_format]
        with self.staging() as staging, sessions() as session:
            result = session.execute(select(*columns).execution_options(yield_per=100_000))
            for rows in result.partitions():
                frame = pd.DataFrame(rows, columns=[c.key for c in columns])
                frame = frame.assign(nature="", kind="", notified=pd.NaT)
                staging.write(frame[STORE_COLUMNS])
            return self.commit(staging)


class Staging:
    def __init__(self, folder: Path):
        self.folder = folder
        self.parts: list[Path] = []

    def write(self, frame: pd.DataFrame) -> None:
        """One batch, in STORE_COLUMNS, as a Parquet file of the staging folder."""
        if frame.empty:
            return
        frame = frame[STORE_COLUMNS].copy()
        for column in ("key", "source_id", "objet", "cpv", "division", "nature", "kind", "procedure", "acheteur_id",
                       "acheteur_nom", "lieu_code", "titulaires", "social", "source_format"):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        frame["montant"] = pd.to_numeric(frame["montant"], errors="coerce").astype(float)
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
        frame["notified"] = pd.to_datetime(frame["notified"], errors="coerce")
        path = self.folder / f"batch-{len(self.parts):06d}.parquet"
        connection = _connect()
        try:
            connection.register("batch", frame)
            connection.execute(
                "COPY (SELECT key::VARCHAR AS key, source_id::VARCHAR AS source_id, objet::VARCHAR AS objet, "
                "cpv::VARCHAR AS cpv, division::VARCHAR AS division, nature::VARCHAR AS nature, kind::VARCHAR AS kind, "
                "procedure::VARCHAR AS procedure, montant::DOUBLE AS montant, year::INTEGER AS year, "
                "CAST(notified AS DATE) AS notified, acheteur_id::VARCHAR AS acheteur_id, "
                "acheteur_nom::VARCHAR AS acheteur_nom, lieu_code::VARCHAR AS lieu_code, titulaires::VARCHAR AS titulaires, "
                "coalesce(social::VARCHAR, '') AS social, source_format::VARCHAR AS source_format FROM batch) "
                f"TO '{_quoted(path)}' (FORMAT parquet)")
        finally:
            connection.close()
        self.parts.append(path)


def _quoted(path) -> str:
    return str(path).replace("'", "''")


def _files_sql(files) -> str:
    return "[" + ", ".join(f"'{_quoted(f)}'" for f in files) + "]"


# ---------------------------------------------------------------- dashboard queries

GROUPINGS = {
    "buyer_year": ("acheteur_nom", "year"),
    "division": ("division",),
    "year": ("year",),
    "nature": ("nature",),
}


def share_table(version: StoreVersion, by: str) -> pd.DataFrame:
    """Contracts, those with a social consideration, amounts and reserved contracts per `by` (GROUPINGS); cached per
    store version (a new import changes the version, so the figures are recomputed once)."""
    return _share_table(version, by).copy()


@functools.lru_cache(maxsize=64)
def _share_table(version: StoreVersion, by: str) -> pd.DataFrame:
    keys = GROUPINGS[by]
    columns = ["contracts", "with_social", "amount_ht", "amount_social_ht", "reserved", "clause", "criterion"]
    if not version.files:
        return pd.DataFrame(columns=[*keys, *columns])
    # Natures are written « Marché » or « marché » by the sources: one group each, with a capital first letter.
    expressions = {"year": "year", "nature": "upper(left(trim(coalesce(nature, '')), 1)) || "
                                             "lower(substr(trim(coalesce(nature, '')), 2))"}
    named = ", ".join(f"{expressions.get(key, f'coalesce({key}, {chr(39) * 2})')} AS {key}" for key in keys)
    where = "WHERE year IS NOT NULL" if "year" in keys else ""
    query = f"""
        SELECT {named}, count(*) AS contracts, count(*) FILTER (WHERE social <> '') AS with_social,
               coalesce(sum(montant), 0) AS amount_ht,
               coalesce(sum(montant) FILTER (WHERE social <> ''), 0) AS amount_social_ht,
               count(*) FILTER (WHERE contains(social, 'reserved')) AS reserved,
               count(*) FILTER (WHERE contains(social, 'clause')) AS clause,
               count(*) FILTER (WHERE contains(social, 'criterion')) AS criterion
        FROM read_parquet({_files_sql(version.files)}) {where}
        GROUP BY ALL ORDER BY ALL"""
    connection = _connect()
    try:
        frame = connection.execute(query).fetchdf()
    finally:
        connection.close()
    for column in ("contracts", "with_social", "reserved", "clause", "criterion"):
        frame[column] = frame[column].astype(int)
    if "year" in keys:
        frame["year"] = frame["year"].astype(int)
    return frame


def clear_cache() -> None:
    _share_table.cache_clear()


def disk_bytes(version: StoreVersion) -> int:
    return sum(os.path.getsize(f) for f in version.files if os.path.exists(f))
