#!/usr/bin/env bash
# Makes VENV (default build/venv) with the PyPI packages the tests read our files back with: the real
# `tensorboard` (event files), `onnxruntime` and `openvino` (the ONNX export). Installs only what is
# missing, so it is quick when they are there; fails loudly when PyPI cannot be reached.
set -euo pipefail
venv="${1:-build/venv}"
packages=(tensorboard onnxruntime openvino)
modules=(tensorboard onnxruntime openvino)
missing=()
for i in "${!packages[@]}"; do
  "$venv/bin/python" -c "import ${modules[$i]}" 2>/dev/null || missing+=("${packages[$i]}")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/pip" install -q --disable-pip-version-check "${missing[@]}"; then
  echo "error: cannot install ${missing[*]} from PyPI into $venv; the TensorBoard and ONNX tests" \
       "need them (check the network or a pip mirror, then rerun)" >&2
  exit 1
fi
