"""The wheel works when installed for real: law, models, templates and migrations come from the package.

The wheel is built from a copy of the files it is made of (nothing written into the checkout) and installed,
not editable, into a fresh virtual environment. Its dependencies are those of the development environment,
made visible by a path entry placed *after* the new environment's own site-packages: procure itself can only
come from the wheel (the editable install's hook is a .pth file, which a plain path entry does not run, and the
checkout is never on the path). This keeps the test honest and fast, without downloading anything.
"""

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

import dce

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["pyproject.toml", "README.md", "LICENSE", "procure", "clauses", "models"]


def test_pyproject_lists_every_package_of_procure():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "procure").rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    assert on_disk - listed == set(), "paquets absents de [tool.setuptools] packages : le wheel les perdrait"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the procure wheel installed (not editable); returns its python."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in SHIPPED:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(
            ROOT / name,
            source / name,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}),
        )
    wheels = work / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        work,
    )
    (wheel,) = wheels.glob("procure-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work).strip())
    (purelib / "dev_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], work)
    return python


def test_installed_package_finds_its_law_models_templates_and_migrations(installed, tmp_path):
    probe = """
import json, procure, procure.law as law, procure.db as db
from procure.market import classifier
from procure.outputs import annex
print(json.dumps({"package": procure.__file__, "clauses": str(law.clauses_dir()), "levers": len(law.levers()),
                  "models": str(classifier.MODELS_DIR), "model": classifier.load() is not None,
                  "migrations": sorted(p.name for p in (db.MIGRATIONS / "versions").glob("*.py")),
                  "templates": sorted(p.name for p in (__import__("pathlib").Path(annex.__file__).parent / "templates").glob("*.docx"))}))
"""
    found = json.loads(_run([str(installed), "-c", probe], tmp_path, _clean_env(tmp_path)))
    venv_dir = str(installed.parents[1])
    assert found["package"].startswith(venv_dir), found["package"]
    assert found["clauses"].startswith(venv_dir) and found["levers"] >= 8
    assert found["models"].startswith(venv_dir) and found["model"] is True
    assert "0004_access_and_codes.py" in found["migrations"] and found["templates"]


def test_installed_cli_analyses_a_tender(installed, tmp_path):
    files = dce.works_tender(tmp_path)
    out = tmp_path / "analyse.json"
    procure = installed.parent / "procure"
    printed = _run([str(procure), "analyze", *map(str, files), "--json", str(out)], tmp_path, _clean_env(tmp_path))
    analysis = json.loads(out.read_text(encoding="utf-8"))
    assert [lot["number"] for lot in analysis["lots"]] == [1, 2, 3]
    assert "Lot 2" in printed


def _clean_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PROCURE_"))}
    return {**env, "PROCURE_HOME": str(tmp_path / "home")}


def _run(command: list[str], cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command[:3]} a échoué :\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result.stdout
