#!/usr/bin/env bash
# Installs the Debian packages dnntrain needs to build, test and run, and oneDNN 3
# (scripts/onednn.sh), only when one is missing (so it is quick on a machine that has them).
# Run as root.
set -euo pipefail
packages=(
  cmake g++ make pkg-config
  python3-pip                        # scripts/onednn.sh fetches oneDNN 3's wheels on Debian 12
  libtbb-dev libboost-program-options-dev libfmt-dev doctest-dev
  zlib1g-dev libjpeg62-turbo-dev libpng-dev
  dataset-fashion-mnist              # the real dataset the main job trains on
  clang libclang-rt-14-dev           # the libFuzzer target of the fuzz tests
  python3-torch python3-torchvision  # PyTorch, the float64 reference of the parity tests
  python3-venv                       # the TensorBoard test installs `tensorboard` into build/venv
  libopenmpi-dev openmpi-bin         # dnntrain_distributed: data-parallel training under mpirun
  libonnx-dev libprotobuf-dev        # dnntrain export: ONNX's messages, checker and shape inference
  python3-opencv                     # the export's tests run the model in OpenCV's DNN importer
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
bash "$(dirname "$0")/onednn.sh"
