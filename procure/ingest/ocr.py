"""OCR of scanned pages with Debian's tesseract and its French data, when installed."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile

OCR_TIMEOUT_SECONDS = 120


class OcrUnavailable(Exception):
    """Raised with a French explanation when OCR cannot run here."""


def tesseract_command() -> str | None:
    # PROCURE_TESSERACT lets an operator point at another binary, or disable OCR with an empty value.
    configured = os.environ.get("PROCURE_TESSERACT")
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


def ocr_image(image) -> str:
    """Text of a PIL image, in French."""
    reason = ocr_status()
    if reason:
        raise OcrUnavailable(reason)
    with tempfile.TemporaryDirectory(prefix="procure-ocr-") as tmp:
        png = os.path.join(tmp, "page.png")
        image.save(png)
        result = subprocess.run(
            [tesseract_command(), png, "stdout", "-l", "fra", "--psm", "3"],
            capture_output=True,
            text=True,
            timeout=OCR_TIMEOUT_SECONDS,
        )
    if result.returncode != 0:
        raise OcrUnavailable(f"l'OCR a échoué ({result.stderr.strip()[:200]}).")
    return result.stdout
