"""Logging, configured once per process by its entry point: the command line, the Streamlit app, the worker.

The library only logs (`logging.getLogger("procure.<module>")`); it never configures. An entry point calls
`configure_logging()` once, which gives the `procure` logger its level (`PROCURE_LOG_LEVEL`) and its handlers:

- the app and the worker write to standard error, which is the operator's console or the service journal
  (systemd, Docker), and also to `PROCURE_LOG_FILE` when it is set;
- the command line writes to `PROCURE_LOG_FILE`, by default `procure.log` in `PROCURE_HOME`: its standard error is
  the user's terminal, which gets a French message and never a traceback; `--debug` adds the log to standard error
  at the DEBUG level for whoever wants to see it.

Every internal error is logged with its traceback (`logger.exception`) where an operator can read it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from procure import settings

LOGGER = "procure"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_MARK = "_procure_handler"  # handlers this module installed, replaced by the next call


def log_level() -> int:
    """The level of `PROCURE_LOG_LEVEL` (a name: DEBUG, INFO, WARNING, ERROR); INFO when unset or unknown."""
    name = (settings.get("PROCURE_LOG_LEVEL") or "INFO").strip().upper()
    return getattr(logging, name) if name in LEVELS else logging.INFO


def log_file(default: Path | None = None) -> Path | None:
    """`PROCURE_LOG_FILE` when set, else `default`."""
    return settings.get_path("PROCURE_LOG_FILE") or default


def cli_log_file() -> Path:
    """Where the command line keeps its log when `PROCURE_LOG_FILE` is not set."""
    return settings.data_home() / "procure.log"


def configure_logging(*, console: bool = True, file: Path | None = None, level: int | None = None,
                      stream: TextIO | None = None, once: bool = False) -> Path | None:
    """Give the `procure` logger its level and handlers; calling it again replaces them (idempotent), or, with
    `once` (the app, whose script runs at every interaction), keeps those already installed.

    `console`: also write to `stream` (standard error by default); `file`: the log file when `PROCURE_LOG_FILE`
    is not set (None: no file unless the setting names one). Returns the log file in use, if any. A log file
    that cannot be opened (read-only home, missing folder that cannot be made) is said once on standard error
    and the process goes on with its console.
    """
    logger = logging.getLogger(LOGGER)
    installed = [h for h in logger.handlers if getattr(h, _MARK, False)]
    if once and installed:
        return next((Path(h.baseFilename) for h in installed if isinstance(h, logging.FileHandler)), None)
    for handler in installed:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level if level is not None else log_level())
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    path = log_file(file)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.FileHandler(path, encoding="utf-8"))
        except OSError as error:
            print(f"procure : journal {path} impossible à ouvrir ({error.strerror or error}) ; "
                  "il est écrit sur la sortie d'erreur.", file=sys.stderr)
            path, console = None, True
    if console:
        handlers.append(logging.StreamHandler(stream or sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
    return path
