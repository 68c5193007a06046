#!/usr/bin/env bash
# Set up a checkout for running and testing the bot: the system packages it uses (where
# missing), then the virtualenv with the project and its development tools.
#   deploy/setup.sh            from the repository root, or from anywhere
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian/Ubuntu packages: tesseract's English data for screenshots (tesserocr's wheel brings
# the engine, not its language data), and the fonts the tests render dialogs with.
need=()
ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-eng)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need+=(fonts-liberation)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    as_root=""
    [ "$(id -u)" -eq 0 ] || as_root="sudo"
    echo "setup: installing ${need[*]}"
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends \
      "${need[@]}" >/dev/null
  else
    echo "setup: no apt-get here; for screenshots install tesseract's English data" \
      "(macOS: brew install tesseract) and set TESSDATA_PREFIX if it is elsewhere" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
# setuptools warns on every editable install that maps a folder (catalog/) to another package
# name; that is this layout on purpose, so the operator is spared the page of it.
PYTHONWARNINGS="ignore:Editable installation" .venv/bin/pip install --quiet -e '.[dev]'
