"""The benchmark scripts of bench/ loaded as modules, so that ratchet tests score with the very same code."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load(name: str):
    """bench/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ratchet(name: str) -> dict:
    return json.loads((REPO / "bench" / f"{name}.json").read_text(encoding="utf-8"))
