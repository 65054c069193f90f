#!/usr/bin/env bash
# The README's one-machine mpirun lines, timed through the real CLI (one epoch each), against one
# rank with the same cores: prints each run's output; images/s is on its epoch lines.
#   fashion-mnist: 2 ranks x 1 thread x b64 against 1 rank x 2 threads x b128 (same global batch);
#   resnet50: the per-socket line on synthetic 224² data (this machine has one socket), 2 ranks x
#     1 thread x b32 against 1 rank x 2 threads x b32.
# Usage: perf/distributed/run_cli.sh [build-dir] [fashion-mnist|resnet50] > log
set -euo pipefail
build=${1:-build}
part=${2:-fashion-mnist}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { echo "\$ $*"; /usr/bin/time -f "wall %e s" "$@" 2>&1; }
if [ "$part" = fashion-mnist ]; then
  data=(--dataset fashion-mnist --lr 0.1 --epochs 1)
  run mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=1 "$build/apps/dnntrain" train --threads 1 \
    "${data[@]}" -b 64 --output-dir "$out/2x64"
  OMP_NUM_THREADS=2 run "$build/apps/dnntrain" train --threads 2 "${data[@]}" -b 128 --output-dir "$out/1x128"
else
  data=(--model resnet50 --dataset synthetic --image-size 224 --synthetic-samples 320 --epochs 1 --print-freq 1)
  run mpirun -np 2 --map-by socket --bind-to socket -x OMP_NUM_THREADS=1 "$build/apps/dnntrain" train \
    --threads 1 "${data[@]}" -b 32 --output-dir "$out/2x32"
  OMP_NUM_THREADS=2 run "$build/apps/dnntrain" train --threads 2 "${data[@]}" -b 32 --output-dir "$out/1x32"
fi
