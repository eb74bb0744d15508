#!/usr/bin/env bash
# Debian packages the test suite exercises: tesseract with French data (OCR of scanned pages)
# and Chromium (end-to-end browser test, driven by Playwright without any browser download); LibreOffice Writer,
# LibreOffice Calc (the follow-up XLSX report rendered), poppler and fonts metric-compatible with Calibri and Times
# (Word outputs rendered to PDF by tests/outputs/test_word_outputs.py).
# Installs only what is missing; without root it says so and the OCR tests are skipped with that reason.
set -euo pipefail
wanted=(tesseract-ocr tesseract-ocr-fra chromium libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito fonts-liberation2)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: cannot install ${missing[*]} (needs root and apt-get)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
