"""OCR of scanned pages with Debian's tesseract and its French data, when installed.

Bounded per page (`OCR_TIMEOUT_SECONDS`) and per document (`PROCURE_OCR_DOCUMENT_SECONDS` seconds and
`PROCURE_OCR_MAX_PAGES` scanned pages): past either budget, the remaining scanned pages are not read and the
reader says how many were read and which were not (procure.ingest.pdf). While tesseract works on a page, the
caller's `waiting()` is called every few seconds, so that a long page is not taken for a hung analysis.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable

from procure import settings

OCR_TIMEOUT_SECONDS = 60  # per page: tesseract reads a dense A4 page at 300 dpi in a few seconds
OCR_DOCUMENT_SECONDS = 300  # default per document (PROCURE_OCR_DOCUMENT_SECONDS): beyond, pages reported, not read
WAITING_SECONDS = 5  # how often the caller hears that a page is still being read
MAX_RENDER_PIXELS = 40_000_000  # an A3 page at 300 dpi is 17 Mpx; huge pages are scaled down to this


class OcrUnavailable(Exception):
    """Raised with a French explanation when OCR cannot run here."""


def document_seconds() -> float:
    """Seconds of OCR allowed for one document: the setting, else OCR_DOCUMENT_SECONDS."""
    return settings.get_int("PROCURE_OCR_DOCUMENT_SECONDS") if settings.raw("PROCURE_OCR_DOCUMENT_SECONDS") else OCR_DOCUMENT_SECONDS


def document_pages() -> int:
    """Scanned pages read by OCR in one document, at most."""
    return settings.get_int("PROCURE_OCR_MAX_PAGES")


def tesseract_command() -> str | None:
    # PROCURE_TESSERACT lets an operator point at another binary, or disable OCR with an empty value.
    configured = settings.raw("PROCURE_TESSERACT")
    if configured is not None:
        return configured if configured and shutil.which(configured) else None
    return shutil.which("tesseract")


@functools.lru_cache(maxsize=4)
def _languages(command: str) -> frozenset[str]:
    result = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=30)
    return frozenset(line.strip() for line in (result.stdout + result.stderr).splitlines())


def ocr_status() -> str | None:
    """None when French OCR is ready, otherwise the French reason it is not."""
    command = tesseract_command()
    if not command:
        return "l'OCR n'est pas disponible (installez les paquets Debian tesseract-ocr et tesseract-ocr-fra)."
    if "fra" not in _languages(command):
        return "l'OCR n'est pas disponible en français (installez le paquet Debian tesseract-ocr-fra)."
    return None


def ocr_image(image, timeout: float | None = None, waiting: Callable[[], None] | None = None) -> str:
    """Text of a PIL image, in French, within `timeout` seconds (default: the per-page limit); `waiting()` is
    called every few seconds while tesseract runs."""
    reason = ocr_status()
    if reason:
        raise OcrUnavailable(reason)
    limit = timeout or OCR_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="procure-ocr-") as tmp:
        png = os.path.join(tmp, "page.png")
        image.save(png)
        try:
            process = subprocess.Popen([tesseract_command(), png, "stdout", "-l", "fra", "--psm", "3"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as exc:
            raise OcrUnavailable(f"l'OCR n'a pas pu être lancé ({exc.strerror}).") from exc
        deadline = time.monotonic() + limit
        with process:
            while True:
                try:
                    stdout, stderr = process.communicate(timeout=max(min(WAITING_SECONDS, deadline - time.monotonic()), 0.01))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        process.kill()
                        process.communicate()
                        raise OcrUnavailable(f"l'OCR a dépassé le temps imparti ({limit:.0f} s) pour cette page.") from None
                    if waiting:
                        waiting()
    if process.returncode != 0:
        raise OcrUnavailable(f"l'OCR a échoué ({stderr.strip()[:200]}).")
    return stdout
