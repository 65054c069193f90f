#!/usr/bin/env bash
# The full Fashion-MNIST recipe in bf16 (run from a scratch folder holding a copy of the built apps/dnntrain).
exec ./dnntrain train --model resnet20 --dataset fashion-mnist --data-path /usr/share/datasets/fashion-mnist \
  --opt sgd --lr 0.1 --momentum 0.9 --wd 5e-4 -b 128 --lr-scheduler cosineannealinglr --epochs 15 \
  --augment standard --threads 2 --seed 0 --print-freq 100 --precision bf16 --output-dir fmnist15_bf16
