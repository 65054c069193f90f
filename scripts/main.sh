#!/usr/bin/env bash
# The main job: installs what is missing, builds, then measures a CIFAR ResNet-20 step
# (until `dnntrain train` lands, which will train it on Fashion-MNIST here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build/apps/dnntrain bench --model resnet20 --in-channels 1 --image-size 28 --classes 10 -b 128 --profile-steps 0
