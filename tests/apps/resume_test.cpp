// Issue 4's resume promise through the command line: N steps straight and N/2 steps, save, resume,
// N/2 steps (same thread count) give bit-identical checkpoints (weights, BN buffers, optimizer
// state), stopping mid-epoch and at an epoch boundary.
#include <doctest/doctest.h>

#include <algorithm>

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

void straight_versus_split(const std::string& name, int64_t total, int64_t first) {
  const fs::path straight = scratch_dir(name + "_straight"), split = scratch_dir(name + "_split");
  const std::string reference = train(straight, total);
  const std::string half = train(split, first);
  const auto stopped = Safetensors::read(half);
  CHECK(stopped.metadata().at("dnntrain.step") == std::to_string(first));
  INFO("stopped at epoch " << stopped.metadata().at("dnntrain.epoch") << ", batch "
                           << stopped.metadata().at("dnntrain.batch_in_epoch"));
  CHECK(stopped.metadata().at("dnntrain.batch_in_epoch") == std::to_string(first % 8));
  const std::string resumed = train(split, total, "--resume " + half);
  expect_identical(reference, resumed);
}

}  // namespace

TEST_CASE("resume mid-epoch gives the same bits as never stopping") {
  straight_versus_split("resume_mid", 12, 6);  // 8 steps per epoch: stops in epoch 1, batch 6
}

TEST_CASE("resume at an epoch boundary gives the same bits as never stopping") {
  straight_versus_split("resume_boundary", 16, 8);  // stops at the end of epoch 1
}
