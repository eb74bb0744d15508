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


def package_or_checkout_dir(name: str) -> Path:
    """`clauses/` or `models/`: inside the installed package (wheel), else at the root of the checkout.

    The folders stay at the top of the repository, where jurists and maintainers look for them; the wheel maps
    them into `procure/` (see `[tool.setuptools.package-dir]` in pyproject.toml).
    """
    installed = Path(__file__).resolve().parent / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[1] / name
