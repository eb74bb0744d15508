"""OCR of scanned pages with Debian's tesseract and its French data, when installed."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile

from procure import settings

OCR_TIMEOUT_SECONDS = 60  # per page: tesseract reads a dense A4 page at 300 dpi in a few seconds
OCR_DOCUMENT_SECONDS = 300  # per document: beyond, the remaining scanned pages are reported, not read
MAX_RENDER_PIXELS = 40_000_000  # an A3 page at 300 dpi is 17 Mpx; huge pages are scaled down to this


class OcrUnavailable(Exception):
    """Raised with a French explanation when OCR cannot run here."""


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


def ocr_image(image, timeout: float | None = None) -> str:
    """Text of a PIL image, in French, within `timeout` seconds (default: the per-page limit)."""
    reason = ocr_status()
    if reason:
        raise OcrUnavailable(reason)
    with tempfile.TemporaryDirectory(prefix="procure-ocr-") as tmp:
        png = os.path.join(tmp, "page.png")
        image.save(png)
        try:
            result = subprocess.run(
                [tesseract_command(), png, "stdout", "-l", "fra", "--psm", "3"],
                capture_output=True,
                text=True,
                timeout=timeout or OCR_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrUnavailable(f"l'OCR a dépassé le temps imparti ({exc.timeout:.0f} s) pour cette page.") from exc
        except OSError as exc:
            raise OcrUnavailable(f"l'OCR n'a pas pu être lancé ({exc.strerror}).") from exc
    if result.returncode != 0:
        raise OcrUnavailable(f"l'OCR a échoué ({result.stderr.strip()[:200]}).")
    return result.stdout
