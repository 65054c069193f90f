#!/usr/bin/env bash
# The main job: installs what is missing (Debian packages, dataset-fashion-mnist included), builds,
# trains a ResNet-20 on Fashion-MNIST for a short run (EPOCHS, default 3: a few minutes on 2 cores),
# then prints the test accuracy and where the checkpoint is. Extra arguments go to `dnntrain train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
epochs=${EPOCHS:-3}
out=${OUTPUT_DIR:-runs/fashion-mnist-resnet20}
build/apps/dnntrain train --model resnet20 --dataset fashion-mnist --epochs "$epochs" \
  --opt sgd --lr 0.1 --momentum 0.9 --wd 5e-4 -b 128 --lr-scheduler cosineannealinglr \
  --output-dir "$out" "$@"
last=$(tail -n 1 "$out/summary.csv")
IFS=, read -r epoch _ _ _ test_loss test_top1 test_top5 _ <<< "$last"
awk -v e="$epoch" -v l="$test_loss" -v t1="$test_top1" -v t5="$test_top5" 'BEGIN {
  printf "Fashion-MNIST test after %d epochs: top-1 %.2f%%, top-5 %.2f%%, loss %.4f\n", e, 100 * t1, 100 * t5, l }'
echo "checkpoint: $out/checkpoint.safetensors (best: $out/best.safetensors)"
echo "evaluate it: build/apps/dnntrain eval --dataset fashion-mnist --checkpoint $out/checkpoint.safetensors"
