"""Every code of a closed vocabulary fits the database column that keeps it, in the migrated schema of SQLite and
PostgreSQL (SQLite ignores a VARCHAR length; PostgreSQL refuses the row: code review D1, "CANDIDATURE" in
`documents.doc_type VARCHAR(10)`)."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect

from procure.db import migrate
from procure.service import schema
from procure.vocabulary import BuyerCategory, DocumentRole, LabelledEnum, SuggestionStatus

COLUMNS: dict[tuple[str, str], type[LabelledEnum]] = {
    ("documents", "doc_type"): DocumentRole,
    ("tenders", "buyer_category"): BuyerCategory,
    ("suggestions", "status"): SuggestionStatus,
    ("suggestions", "decision"): schema.Decision,
    ("matches", "decision"): schema.Decision,
    ("users", "role"): schema.Role,
    ("lots", "match_outcome"): schema.MatchOutcome,
    ("lots", "match_place_scope"): schema.PlaceExtent,
    ("lots", "match_place_source"): schema.PlaceSource,
    ("review_events", "action"): schema.Action,
    ("review_events", "target_type"): schema.TargetType,
}


def test_every_code_fits_its_column(database_url):
    engine = create_engine(database_url)
    migrate(engine)
    inspector = inspect(engine)
    lengths = {(table, column["name"]): getattr(column["type"], "length", None) for table in {t for t, _ in COLUMNS}
               for column in inspector.get_columns(table)}
    engine.dispose()
    unbounded = [key for key in COLUMNS if lengths[key] is None]
    assert not unbounded, f"colonnes sans longueur bornée : {unbounded}"
    too_long = {f"{table}.{column} VARCHAR({lengths[(table, column)]})": codes
                for (table, column), vocabulary in COLUMNS.items()
                if (codes := [code.value for code in vocabulary if len(code.value) > lengths[(table, column)]])}
    assert not too_long, too_long


def test_the_declared_columns_match_the_migrations():
    """The SQLAlchemy models say the same lengths as the migrated schema (checked above on the real databases)."""
    from procure.db.models import Base

    for (table, column), vocabulary in COLUMNS.items():
        declared = Base.metadata.tables[table].c[column].type.length
        assert all(len(code.value) <= declared for code in vocabulary), (table, column)


def test_a_stored_code_reads_back_as_its_member():
    for vocabulary in {*COLUMNS.values()}:
        for code in vocabulary:
            assert vocabulary(str(code)) is code and code == code.value and code.label
