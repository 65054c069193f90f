// Each bad-input case against the real executable: one line on stderr naming the
// option or file, exit 2 for usage errors and 1 for failures at run time, never a signal.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "tests/apps/cli_run.hpp"

using dnntrain::test::expect_error;
using dnntrain::test::run_cli;

TEST_CASE("an unknown command or option exits 2") {
  expect_error("frobnicate", 2, "frobnicate");
  expect_error("train --no-such-option 3", 2, "no-such-option");
  expect_error("eval --no-such-option 3", 2, "no-such-option");
}

TEST_CASE("an unknown model or dataset exits 2") {
  expect_error("train --dataset synthetic --model resnet7", 2, "--model");
  expect_error("train --dataset imagenet21k", 2, "--dataset");
}

TEST_CASE("an unknown name exits 2 listing the choices") {
  expect_error("train --dataset synthetic --model resnet7", 2,
               "--model must be auto, resnet18, resnet34, resnet50, resnet101, resnet152, resnet20, resnet32, "
               "resnet44, resnet56 or resnet110, got 'resnet7'");
  expect_error("train --dataset imagenet21k", 2,
               "--dataset must be auto, cifar10, cifar100, mnist, fashion-mnist, imagefolder or synthetic");
  expect_error("train --dataset synthetic --opt rmsprop", 2, "--opt must be sgd, adam or adamw");
  expect_error("train --dataset synthetic --lr-scheduler wavy", 2,
               "--lr-scheduler must be constant, steplr, multisteplr, cosineannealinglr or exponentiallr");
  expect_error("train --dataset synthetic --stem deep", 2, "--stem must be imagenet or cifar");
  expect_error("train --dataset synthetic --conv-algorithm fft", 2,
               "--conv-algorithm must be auto, direct or winograd");
}

TEST_CASE("values out of range exit 2 naming the option") {
  expect_error("train --dataset synthetic --lr -0.1", 2, "--lr");
  expect_error("train --dataset synthetic --batch-size 0", 2, "--batch-size");
  expect_error("train --dataset synthetic --epochs 0", 2, "--epochs");
  expect_error("train --dataset synthetic --opt rmsprop", 2, "--opt");
  expect_error("train --dataset synthetic --lr-scheduler wavy", 2, "--lr-scheduler");
  expect_error("train --dataset synthetic --lr abc", 2, "lr");
}

TEST_CASE("a missing data path, checkpoint or resume file exits 2 naming it") {
  expect_error("train --dataset cifar10", 2, "--data-path");
  expect_error("train --dataset cifar10 --data-path /nonexistent/cifar", 2, "/nonexistent/cifar");
  expect_error("eval --dataset synthetic", 2, "--checkpoint");
  expect_error("eval --dataset synthetic --checkpoint /nonexistent/model.safetensors", 2,
               "/nonexistent/model.safetensors");
  expect_error("train --dataset synthetic --resume /nonexistent/ck.safetensors", 2,
               "/nonexistent/ck.safetensors");
}

TEST_CASE("a corrupt checkpoint or data folder exits 1 naming the file") {
  const auto dir = dnntrain::test::scratch_dir("errors_corrupt");
  const auto bad = dir / "bad.safetensors";
  std::ofstream(bad) << "this is not a safetensors file";
  expect_error("eval --dataset synthetic --checkpoint " + bad.string(), 1, bad.string());
  expect_error("train --dataset mnist --data-path " + dir.string(), 1, dir.string());
}
