import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


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
