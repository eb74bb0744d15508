"""Where procure keeps its own files (imported reference data, caches, database)."""
from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    path = Path(os.environ.get("PROCURE_HOME") or Path.home() / ".local" / "share" / "procure")
    path.mkdir(parents=True, exist_ok=True)
    return path


def reference_dir() -> Path:
    path = data_home() / "reference"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = Path(os.environ.get("PROCURE_CACHE") or Path.home() / ".cache" / "procure")
    path.mkdir(parents=True, exist_ok=True)
    return path
