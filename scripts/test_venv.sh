#!/usr/bin/env bash
# Makes VENV (default build/venv) with the real `tensorboard` package from PyPI, only when it is
# missing, for the test that reads our event files back. Fails loudly when PyPI cannot be reached.
set -euo pipefail
venv="${1:-build/venv}"
if "$venv/bin/python" -c "import tensorboard" 2>/dev/null; then exit 0; fi
python3 -m venv "$venv"
if ! "$venv/bin/pip" install -q --disable-pip-version-check tensorboard; then
  echo "error: cannot install the tensorboard package from PyPI into $venv; the TensorBoard test" \
       "needs it (check the network or a pip mirror, then rerun)" >&2
  exit 1
fi
