#!/usr/bin/env bash
# Create .venv in the repository root and install sourcetag into it (editable), with its dev, ONNX and Ray extras.
# torch: on a machine without an NVIDIA GPU, the CPU build torch==2.13.0 is installed first, so that pip never
# pulls several GB of CUDA wheels. On a GPU machine the default (CUDA) build is installed. Override with
# TORCH_SPEC, e.g. TORCH_SPEC="torch==2.13.0" or TORCH_SPEC="torch --index-url <your CUDA wheel index>".
# Chromium (headless, for the HTML view's screenshot and browser tests) is installed with apt-get where missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  if [ -z "${TORCH_SPEC:-}" ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      TORCH_SPEC="torch"
    else
      TORCH_SPEC="torch==2.13.0"
    fi
  fi
  echo "setup: installing $TORCH_SPEC"
  # shellcheck disable=SC2086
  .venv/bin/python -m pip install --quiet $TORCH_SPEC
fi
echo "setup: installing sourcetag and its dependencies"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,onnx,ray]"

have_chromium() {  # the names sourcetag.view.browser looks for
  [ -n "${SOURCETAG_CHROMIUM:-}" ] && return 0
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  return 1
}
if have_chromium; then
  :
elif command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium with apt-get (headless browser for the HTML view's tests and screenshot)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  apt_install() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core \
      >/dev/null 2>&1
  }
  if ! apt_install && ! { $SUDO apt-get update -qq >/dev/null 2>&1 && apt_install; }; then
    echo "setup: could not install chromium with apt-get; install it yourself (or set SOURCETAG_CHROMIUM to a"
    echo "       Chromium or Chrome binary): the browser tests fail and the main command cannot take its screenshot"
  fi
else
  echo "setup: apt-get is not available, so chromium was not installed; install it yourself (or set"
  echo "       SOURCETAG_CHROMIUM): the browser tests fail and the main command cannot take its screenshot without it"
fi
