import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "support"))  # shared builders: dce, bad_corpus, boamp_export, benches


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Each test gets its own procure home, so no imported reference data leaks between tests."""
    monkeypatch.setenv("PROCURE_HOME", str(tmp_path / "procure-home"))
    monkeypatch.delenv("PROCURE_CPV_FILE", raising=False)


@pytest.fixture
def shared_data() -> Path:
    """The real reference data beside the checkout (CI sets PROCURE_SHARED_DATA)."""
    path = os.environ.get("PROCURE_SHARED_DATA") or str(Path(__file__).resolve().parents[2] / "shared" / "data")
    if not Path(path, "cpv", "cpv2008_fr.csv").is_file():
        pytest.skip("données de référence ../shared/data absentes (PROCURE_SHARED_DATA)")
    return Path(path)


@pytest.fixture
def no_shared_cpv(monkeypatch):
    monkeypatch.delenv("PROCURE_SHARED_DATA", raising=False)


@pytest.fixture
def with_cpv(shared_data, monkeypatch):
    monkeypatch.setenv("PROCURE_CPV_FILE", str(shared_data / "cpv" / "cpv2008_fr.csv"))
    return shared_data


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database: SQLite file, and PostgreSQL when PROCURE_TEST_POSTGRES_URL points at a server."""
    from sqlalchemy import create_engine, text

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    admin_url = os.environ.get("PROCURE_TEST_POSTGRES_URL")
    if not admin_url:
        if os.environ.get("CI"):
            pytest.fail("PROCURE_TEST_POSTGRES_URL absent en CI : scripts/start-postgres.sh n'a pas tourné")
        pytest.skip("pas de serveur PostgreSQL de test (PROCURE_TEST_POSTGRES_URL)")
    name = f"procure_test_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:  # FORCE closes connections a cached engine may still hold
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sessions(database_url):
    """Sessions on a freshly migrated database (SQLite and PostgreSQL)."""
    from procure.db import make_engine, migrate, session_factory

    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def repository(sessions):
    from procure.directory.suppliers import SupplierRepository

    return SupplierRepository(sessions)


# Modules whose tests read the whole development set, a large corpus or start many processes: the `slow` tier.
SLOW_MODULES = {
    "test_real_tenders",
    "test_stress_analyses",
    "test_matching_benchmark",
    "test_bad_corpus",
    "test_eforms_data",
    "test_provision_judge",
    "test_word_outputs",  # renders through LibreOffice
    "test_packaging",  # builds and installs the wheel
    "test_app",  # the whole app through Streamlit's AppTest
    "test_bad_corpus_app",
    "test_stored_analysis",  # every development tender analysed and read back
    "test_decp_national",
    "test_index_scale",
}


def pytest_collection_modifyitems(config, items):
    """Tier markers from the folder and the fixtures: browser (tests/e2e), db (a real database), slow (see above)."""
    for item in items:
        path = Path(str(item.fspath))
        if path.parent.name == "e2e":
            item.add_marker(pytest.mark.browser)
        if {"database_url", "sessions"} & set(item.fixturenames):
            item.add_marker(pytest.mark.db)
        if path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
