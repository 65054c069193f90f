#!/usr/bin/env bash
# The test suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer in ./build-asan
# (-O1 -g). Any report fails the test that triggered it. Runs after scripts/test.sh, whose ./build
# it reuses for the PyTorch fixtures and the TensorBoard venv. Left out: the fuzz tests (sanitized
# builds already), the install test (an embedder would have to link the sanitizer runtime too) and
# the ONNX consumers (their 200 training steps; test_onnx_export runs the export sanitized).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g -DNDEBUG" \
  -DDNNTRAIN_SANITIZE=ON -DDNNTRAIN_BUILD_PERF=OFF \
  -DDNNTRAIN_PARITY_DIR="$root/build/tests/parity/fixtures" -DDNNTRAIN_VENV="$root/build/venv" \
  > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
cmake --build build-asan -j "$(nproc)" >> build-asan.log 2>&1 || { tail -50 build-asan.log; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0
ctest --test-dir build-asan --output-on-failure -j 2 --timeout 1800 -LE fuzz -E "install_and_embed|test_dist_|test_onnx_consumers"
# Open MPI keeps allocations of components it unloads at exit, which LeakSanitizer cannot attribute
# to a library: under mpirun, memory errors are still fatal but leaks are not checked.
ASAN_OPTIONS=detect_leaks=0:strict_string_checks=1 ctest --test-dir build-asan --output-on-failure -j 2 \
  --timeout 1800 -R "test_dist_"
