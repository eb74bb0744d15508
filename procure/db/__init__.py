"""Database layer: SQLAlchemy 2 with Alembic migrations; SQLite by default, PostgreSQL through a URL."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db import text as _bounded_texts  # noqa: F401  (registers the flush listener that bounds texts)
from procure.settings import data_home

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url() -> str:
    return settings.get("PROCURE_DATABASE_URL") or f"sqlite:///{data_home() / 'procure.sqlite'}"


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer (app + CLI at once)
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # several servers starting at once: one migrates, the others wait
            connection.execute(sql_text("SELECT pg_advisory_xact_lock(727210)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@functools.lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """A migrated engine, one per URL per process."""
    return _cached_engine(url or database_url())


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False, future=True)
