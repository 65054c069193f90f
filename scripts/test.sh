#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit, slow, fuzz), then
# the suite again under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/test_sanitizers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/build.sh
bash scripts/test_venv.sh build/venv  # tensorboard, onnxruntime, openvino: the tests read our files with them
ctest --test-dir build --output-on-failure -j 2 --timeout 900
echo "tests: $((SECONDS - start)) s; now the sanitizer build"
bash scripts/test_sanitizers.sh
echo "tests and sanitizer tests: $((SECONDS - start)) s"
