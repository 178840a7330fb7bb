#!/usr/bin/env bash
# Create .venv in the repository root and install sourcetag into it (editable), with its dev and ONNX extras.
# torch: on a machine without an NVIDIA GPU, the CPU build torch==2.13.0 is installed first, so that pip never
# pulls several GB of CUDA wheels. On a GPU machine the default (CUDA) build is installed. Override with
# TORCH_SPEC, e.g. TORCH_SPEC="torch==2.13.0" or TORCH_SPEC="torch --index-url <your CUDA wheel index>".
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
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,onnx]"
