#!/usr/bin/env bash
# Makes VENV (default build/perf-venv) with the anchors perf/ compares against: PyTorch 2.x,
# torchvision, ONNX, ONNX Runtime and OpenVINO from PyPI, plus safetensors and numpy. Quick when
# they are already there. usage: bash perf/anchor_venv.sh [VENV]
set -euo pipefail
venv="${1:-build/perf-venv}"
if "$venv/bin/python" -c "import torch, torchvision, onnx, onnxruntime, openvino, safetensors" 2>/dev/null; then exit 0; fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check torch torchvision onnx onnxruntime openvino safetensors numpy
