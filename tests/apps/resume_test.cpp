// Issue 4's resume promise through the command line: N steps straight and N/2 steps, save, resume,
// N/2 steps (same thread count) give bit-identical checkpoints (weights, BN buffers, optimizer
// state), stopping mid-epoch and at an epoch boundary, with per-epoch and per-update schedules.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
using dnntrain::engine::Safetensors;

namespace {

std::string train(const fs::path& dir, int64_t steps, const std::string& extra = "") {
  const auto r = run_cli(std::string("train ") + kTinyRun + " --threads 2 --epochs 3 --steps " +
                         std::to_string(steps) + " --output-dir " + dir.string() + " " + extra);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  return (dir / "checkpoint.safetensors").string();
}

// Returns the straight run's checkpoint.
std::string straight_versus_split(const std::string& name, int64_t total, int64_t first,
                                  const std::string& options = "") {
  const fs::path straight = scratch_dir(name + "_straight"), split = scratch_dir(name + "_split");
  const std::string reference = train(straight, total, options);
  const std::string half = train(split, first, options);
  const auto stopped = Safetensors::read(half);
  CHECK(stopped.metadata().at("dnntrain.step") == std::to_string(first));
  INFO("stopped at epoch " << stopped.metadata().at("dnntrain.epoch") << ", batch "
                           << stopped.metadata().at("dnntrain.batch_in_epoch"));
  CHECK(stopped.metadata().at("dnntrain.batch_in_epoch") == std::to_string(first % 8));
  const std::string resumed = train(split, total, options + " --resume " + half);
  expect_identical(reference, resumed);
  return reference;
}

}  // namespace

TEST_CASE("resume mid-epoch gives the same bits as never stopping") {
  straight_versus_split("resume_mid", 12, 6);  // 8 steps per epoch: stops in epoch 1, batch 6
}

TEST_CASE("resume at an epoch boundary gives the same bits as never stopping") {
  straight_versus_split("resume_boundary", 16, 8);  // stops at the end of epoch 1
}

TEST_CASE("resume mid-epoch with --sched-on-updates and warmup gives the same bits") {
  // The rate changes at every step, so a resume at the wrong step would change the weights.
  const std::string reference =
      straight_versus_split("resume_updates", 13, 5, "--sched-on-updates --lr-warmup-epochs 1");
  const auto metadata = Safetensors::read(reference).metadata();
  CHECK(metadata.at("dnntrain.schedule").find("on_updates") != std::string::npos);
  // Step 13 is update 12 of cosine over 16 updates after 8 warmup updates: 0.1·(1 + cos(π·4/16))/2.
  CHECK(std::stod(metadata.at("dnntrain.lr")) == doctest::Approx(0.1 * (1 + std::cos(M_PI * 4 / 16)) / 2));
}

TEST_CASE("resume in bf16 gives the same bits as never stopping, and the checkpoint evaluates in f32") {
  // The checkpoint holds the f32 master weights; resuming rebuilds the bf16 working copies from them.
  const std::string reference = straight_versus_split("resume_bf16", 12, 6, "--precision bf16");
  const auto r = run_cli("eval --dataset synthetic --synthetic-samples 128 --image-size 8 -b 16 --threads 2 "
                         "--precision f32 --checkpoint " + reference);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
}

TEST_CASE("resume mid-epoch with the torchvision recipe's data and EMA gives the same bits") {
  // TrivialAugmentWide, random erasing, MixUp/CutMix and the EMA (updated every 3 steps, reset in
  // the warmup epoch): every draw is a function of (seed, epoch, sample or batch), and the averages
  // and their count are in the checkpoint.
  const std::string reference = straight_versus_split(
      "resume_recipe", 13, 5,
      "--auto-augment ta_wide --random-erase 0.5 --mixup-alpha 0.2 --cutmix-alpha 1.0 --label-smoothing 0.1 "
      "--model-ema --model-ema-steps 3 --lr-warmup-epochs 1");
  const auto st = Safetensors::read(reference);
  REQUIRE(st.find("model_ema.n_averaged") != nullptr);
  CHECK(st.find("model_ema.module.fc.weight") != nullptr);
  const fs::path ema = fs::path(reference).parent_path() / "model_ema.safetensors";
  CHECK(fs::exists(ema));
  CHECK(Safetensors::read(ema.string()).find("fc.weight") != nullptr);
}

TEST_CASE("--model-ema updates after batches 0, N, 2N... of each epoch and restarts during warmup epochs") {
  // 8 batches per epoch, --model-ema-steps 3: updates after batches 0, 3 and 6 of an epoch.
  const auto count = [](const std::string& checkpoint) {
    const auto st = Safetensors::read(checkpoint);
    int64_t n = 0;
    const auto bytes = st.bytes(st.at("model_ema.n_averaged"));
    std::memcpy(&n, bytes.data(), sizeof n);
    return n;
  };
  CHECK(count(train(scratch_dir("ema_count_plain"), 8, "--model-ema --model-ema-steps 3")) == 3);
  CHECK(count(train(scratch_dir("ema_count_plain2"), 13, "--model-ema --model-ema-steps 3")) == 5);
  // In the warmup epoch every update is followed by n_averaged = 0; the next epoch counts again.
  CHECK(count(train(scratch_dir("ema_count_warm"), 8,
                    "--model-ema --model-ema-steps 3 --lr-warmup-epochs 1")) == 0);
  CHECK(count(train(scratch_dir("ema_count_warm2"), 12,
                    "--model-ema --model-ema-steps 3 --lr-warmup-epochs 1")) == 2);
}
