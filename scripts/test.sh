#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit, slow, fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/tensorboard_venv.sh build/venv  # the TensorBoard test reads events with the real package
ctest --test-dir build --output-on-failure -j 2 --timeout 900
