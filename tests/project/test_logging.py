"""Logging is configured once by each entry point: an internal error leaves its traceback where an operator reads
it (the log), and the user gets a French message without one (code review D4: an injected RuntimeError printed
"merci de la signaler" and left no trace)."""
from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import dce
from procure import cli, logs


@pytest.fixture(autouse=True)
def fresh_logging(monkeypatch):
    monkeypatch.delenv("PROCURE_LOG_FILE", raising=False)
    monkeypatch.delenv("PROCURE_LOG_LEVEL", raising=False)
    yield
    logs.configure_logging(console=False)  # drop the handlers the test installed (their files are temporary)
    logging.getLogger(logs.LOGGER).setLevel(logging.NOTSET)


def _broken_reading(monkeypatch):
    import procure.extract

    def analyze(files):
        raise RuntimeError("lecture cassée pour le test")

    monkeypatch.setattr(procure.extract, "analyze", analyze)


def test_an_internal_cli_error_is_logged_with_its_traceback_and_told_in_french(monkeypatch, tmp_path, capsys):
    _broken_reading(monkeypatch)
    rc = dce.write_docx(tmp_path / "RC.docx", [(dce.H, "Règlement de la consultation")])

    assert cli.main(["analyze", str(rc)]) == 1

    err = capsys.readouterr().err
    journal = logs.cli_log_file()
    assert "Erreur inattendue de procure (RuntimeError)" in err and str(journal) in err
    assert "Traceback" not in err and "lecture cassée" not in err  # no internals on the user's terminal
    logged = journal.read_text(encoding="utf-8")
    assert "ERROR procure.cli" in logged and "Traceback (most recent call last)" in logged
    assert "RuntimeError: lecture cassée pour le test" in logged and f"analyze {rc}" in logged


def test_debug_also_writes_the_log_on_standard_error(monkeypatch, tmp_path, capsys):
    _broken_reading(monkeypatch)
    rc = dce.write_docx(tmp_path / "RC.docx", [(dce.H, "Règlement de la consultation")])

    assert cli.main(["--debug", "analyze", str(rc)]) == 1

    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "Erreur inattendue de procure" in err
    assert logging.getLogger(logs.LOGGER).level == logging.DEBUG


def test_the_log_file_and_level_come_from_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("PROCURE_LOG_FILE", str(tmp_path / "journaux" / "procure.log"))
    monkeypatch.setenv("PROCURE_LOG_LEVEL", "warning")
    path = logs.configure_logging(console=False)
    logging.getLogger("procure.test").info("pas écrit : sous le niveau")
    logging.getLogger("procure.test").warning("écrit")
    assert path == tmp_path / "journaux" / "procure.log"
    text = path.read_text(encoding="utf-8")
    assert "écrit" in text and "pas écrit" not in text
    monkeypatch.setenv("PROCURE_LOG_LEVEL", "bavard")  # unknown: INFO, never a crash at start-up
    assert logs.log_level() == logging.INFO


def test_configuring_again_replaces_the_handlers(tmp_path):
    for _ in range(3):
        logs.configure_logging(file=tmp_path / "procure.log")
    logger = logging.getLogger(logs.LOGGER)
    assert len(logger.handlers) == 2  # one file, one console
    assert logs.configure_logging(once=True) == tmp_path / "procure.log" and len(logger.handlers) == 2


def test_an_unwritable_log_file_falls_back_to_standard_error(tmp_path, capsys):
    blocker = tmp_path / "fichier"
    blocker.write_text("")
    assert logs.configure_logging(console=False, file=blocker / "procure.log") is None
    logging.getLogger("procure.test").error("toujours lisible")
    err = capsys.readouterr().err
    assert "impossible à ouvrir" in err and "toujours lisible" in err


def test_the_command_line_process_leaves_its_traceback_in_the_log(tmp_path):
    """A real process of the command line (its own interpreter, environment and procure home), a bug injected."""
    home = tmp_path / "home"
    script = ("import sys, procure.extract, procure.cli\n"
              "def broken(files): raise RuntimeError('panne simulée')\n"
              "procure.extract.analyze = broken\n"
              "sys.exit(procure.cli.main(sys.argv[1:]))\n")
    rc = dce.write_docx(tmp_path / "RC.docx", [(dce.H, "Règlement de la consultation")])
    done = subprocess.run([sys.executable, "-c", script, "analyze", str(rc)], capture_output=True, text=True,
                          env={"PROCURE_HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "Erreur inattendue" in done.stderr
    assert "RuntimeError: panne simulée" in (home / "procure.log").read_text(encoding="utf-8")
