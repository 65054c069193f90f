#!/bin/sh
# The torchvision recipe's parts added one at a time on Fashion-MNIST (ResNet-20, 3 epochs, batch
# 128, the default SGD + cosine schedule, seed 0), each run under the machine lock; prints the final
# test top-1 (and the EMA's) of each. Reports, never asserts. Usage: perf/augment/fashion_recipe.sh
# [DNNTRAIN] [OUTDIR] [EPOCHS] (SKIP_BASELINE=1: no baseline run)
set -eu
BIN=${1:-build/apps/dnntrain}
OUT=${2:-/tmp/dnntrain_fashion_recipe}
EPOCHS=${3:-3}
run() {
  name=$1; shift
  flock -x /var/lock/dnntrain-perf.lock "$BIN" train --dataset fashion-mnist --epochs "$EPOCHS" --threads 2 \
    --print-freq 100000 --output-dir "$OUT/$name" --overwrite "$@" > "$OUT/$name.log" 2>&1
  last=$(tail -n 1 "$OUT/$name/summary.csv")
  echo "$name | $* | $last"
}
mkdir -p "$OUT"
echo "run | added options | last summary.csv row (epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,...,ema_test_loss,ema_test_top1,ema_test_top5)"
# The full recipe first: its test_top1 is the recipe without the EMA, ema_test_top1 with it.
run recipe_ema --label-smoothing 0.1 --auto-augment ta_wide --random-erase 0.1 --mixup-alpha 0.2 --cutmix-alpha 1.0 --model-ema
[ -n "${SKIP_BASELINE:-}" ] || run baseline
run smoothing --label-smoothing 0.1
run ta_wide --label-smoothing 0.1 --auto-augment ta_wide
run erase --label-smoothing 0.1 --auto-augment ta_wide --random-erase 0.1
