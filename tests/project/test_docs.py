"""The README documents what exists (in the manner of datasette's test_docs.py): every setting, CLI command and package.

Each test lists what is missing, so that adding a setting, a command or a package without a README line fails here.
"""

import argparse
import re
from pathlib import Path

import pytest

from procure import cli, settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "procure") -> list[str]:
    """Every leaf command of the CLI: "procure analyze", "procure suppliers import"…"""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, f"{prefix} {name}") or [f"{prefix} {name}"]
    return found


def test_there_is_something_to_check():
    assert len(settings.SETTINGS) >= 10 and len(_commands(cli._parser())) >= 10


@pytest.mark.parametrize("setting", [s.name for s in settings.SETTINGS])
def test_every_setting_is_in_the_configuration_table(setting):
    row = re.search(rf"^\| `{setting}` \|(.+)\|(.+)\|$", README, re.MULTILINE)
    assert row, f"{setting} absent du tableau « Configuration » du README"


def test_the_readme_documents_no_setting_that_does_not_exist():
    documented = set(re.findall(r"^\| `(PROCURE_[A-Z_]+)`", README, re.MULTILINE))
    assert documented - set(settings.REGISTRY) == set()


def test_settings_are_read_in_one_place():
    """No module reads a PROCURE_* variable behind the registry's back."""
    direct = re.compile(r"(os\.environ(\.get)?[\[(]|os\.getenv\()\s*[\"']PROCURE_")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("procure", "ui")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "settings.py" and direct.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize("command", _commands(cli._parser()))
def test_every_cli_command_is_in_the_readme(command):
    assert command in README, f"« {command} » n'apparaît pas dans le README"


@pytest.mark.parametrize(
    "package", sorted(p.parent.name for p in (ROOT / "procure").glob("*/__init__.py") if p.parent.name != "__pycache__")
)
def test_every_package_is_in_the_organisation_section(package):
    organisation = README.split("## Organisation", 1)[1].split("\n## ", 1)[0]
    assert f"`{package}/`" in organisation, f"procure/{package}/ absent de la section « Organisation » du README"
