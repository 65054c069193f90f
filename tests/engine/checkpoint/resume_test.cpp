// Checkpoint resume: the same bits as never stopping, the CRC over data and header, the optimizer
// kind and state keys, and refusal of training positions out of range and unknown format versions.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <tuple>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/checkpoint_fixture.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

namespace dnntrain {
namespace {

using namespace checkpoint_fixture;

TEST_CASE("resume continues with the same bits as never stopping") {
  for (auto kind : {engine::OptimizerOptions::Kind::sgd, engine::OptimizerOptions::Kind::adamw}) {
    CAPTURE(engine::optimizer_kind_name(kind));
    TempDir dir;
    engine::OptimizerOptions o;
    o.kind = kind;
    o.momentum = 0.9;
    o.weight_decay = 1e-2;
    o.norm_weight_decay = 0.0;
    Model straight = tiny(true), first = tiny(true), resumed = tiny(false);  // resume into other layouts
    fill_random(straight, 7);
    fill_random(first, 7);
    fill_random(resumed, 1234);
    engine::Optimizer opt_straight(straight.params, o), opt_first(first.params, o),
        opt_resumed(resumed.params, o);
    train(straight, opt_straight, 0, 6);
    train(first, opt_first, 0, 3);
    engine::TrainingState state;
    state.epoch = 1, state.step = 3, state.batch_in_epoch = 2, state.data_seed = 18446744073709551615ull;
    state.init_seed = 42, state.lr = 0.05 * 0.81, state.schedule = "steplr base_lr=0.05", state.threads = 2;
    state.config = "train --arch resnet50 --opt \"sgd\"\n--lr 0.05";
    state.extra["note"] = "mid-epoch";
    engine::save_checkpoint(dir.file("c.safetensors"), first.params, first.buffers, &opt_first, state);
    const auto back =
        engine::resume_checkpoint(dir.file("c.safetensors"), resumed.params, resumed.buffers, opt_resumed);
    CHECK(back.epoch == 1);
    CHECK(back.step == 3);
    CHECK(back.batch_in_epoch == 2);
    CHECK(back.data_seed == state.data_seed);
    CHECK(back.init_seed == 42);
    CHECK(back.lr == state.lr);
    CHECK(back.schedule == state.schedule);
    CHECK(back.config == state.config);
    CHECK(back.threads == 2);
    CHECK(back.extra.at("note") == "mid-epoch");
    CHECK(opt_resumed.steps() == 3);
    train(resumed, opt_resumed, 3, 3);
    check_same(straight, resumed, "straight vs resumed");
  }
}

TEST_CASE("resume checks the CRC, the optimizer kind and the optimizer state keys") {
  TempDir dir;
  Model m = tiny(true);
  fill_random(m, 1);
  engine::OptimizerOptions o;
  o.momentum = 0.9;
  engine::Optimizer opt(m.params, o);
  train(m, opt, 0, 1);
  const std::string path = dir.file("c.safetensors");
  engine::save_checkpoint(path, m.params, m.buffers, &opt, {});
  {
    engine::OptimizerOptions adam;
    adam.kind = engine::OptimizerOptions::Kind::adam;
    Model r = tiny(true);
    engine::Optimizer other(r.params, adam);
    CHECK_THROWS_WITH_AS(engine::resume_checkpoint(path, r.params, r.buffers, other),
                         doctest::Contains("saved with optimizer 'sgd'"), Error);
  }
  // Weights only: no optimizer state, no position: resume refuses it.
  engine::save_weights(dir.file("w.safetensors"), m.params, m.buffers);
  CHECK_THROWS_AS(engine::resume_checkpoint(dir.file("w.safetensors"), m.params, m.buffers, opt), Error);
  // One flipped bit in the data buffer.
  std::vector<char> bytes((std::istreambuf_iterator<char>(std::ifstream(path, std::ios::binary).rdbuf())),
                          {});
  bytes[bytes.size() - 5] ^= 0x10;
  std::ofstream(dir.file("bad.safetensors"), std::ios::binary)
      .write(bytes.data(), static_cast<long>(bytes.size()));
  CHECK_THROWS_WITH_AS(engine::resume_checkpoint(dir.file("bad.safetensors"), m.params, m.buffers, opt),
                       doctest::Contains("checksum mismatch"), Error);
  CHECK_THROWS_WITH_AS(engine::load_weights(dir.file("bad.safetensors"), m.params, m.buffers),
                       doctest::Contains("checksum mismatch"), Error);
}

TEST_CASE("the checksum covers the header: an edited training position is refused") {
  TempDir dir;
  Model m = tiny(true);
  engine::Optimizer opt(m.params, momentum_sgd());
  const std::string path = saved_checkpoint(dir, m, opt);
  std::string bytes((std::istreambuf_iterator<char>(std::ifstream(path, std::ios::binary).rdbuf())), {});
  for (const auto& [from, to] : {std::pair{"\"dnntrain.step\":\"2\"", "\"dnntrain.step\":\"7\""},
                                 std::pair{"\"dnntrain.epoch\":\"1\"", "\"dnntrain.epoch\":\"0\""}}) {
    std::string edited = bytes;
    const auto at = edited.find(from);
    REQUIRE(at != std::string::npos);
    edited.replace(at, std::string(from).size(), to);
    std::ofstream(dir.file("edited.safetensors"), std::ios::binary) << edited;
    Model r = tiny(true);
    engine::Optimizer other(r.params, momentum_sgd());
    INFO(std::string(from) << " -> " << std::string(to));
    CHECK_THROWS_WITH_AS(
        engine::resume_checkpoint(dir.file("edited.safetensors"), r.params, r.buffers, other),
        doctest::Contains("checksum mismatch"), Error);
  }
}

TEST_CASE("resume refuses a training position out of range and unknown format versions") {
  TempDir dir;
  Model m = tiny(true);
  engine::Optimizer opt(m.params, momentum_sgd());
  const std::string path = saved_checkpoint(dir, m, opt);
  const std::string edited = dir.file("edited.safetensors");
  for (const auto& [key, value, phrase] :
       {std::tuple{"dnntrain.epoch", "-3", "'dnntrain.epoch' is -3"},
        std::tuple{"dnntrain.step", "-1", "'dnntrain.step' is -1"},
        std::tuple{"dnntrain.batch_in_epoch", "1000000", "dnntrain.batch_in_epoch 1000000 exceeds"},
        std::tuple{"dnntrain.world_size", "0", "'dnntrain.world_size' is 0"},
        std::tuple{"dnntrain.threads", "-2", "'dnntrain.threads' is -2"},
        std::tuple{"dnntrain.optimizer.steps", "-5", "'dnntrain.optimizer.steps' is -5"},
        std::tuple{"dnntrain.lr", "nan", "'dnntrain.lr' is not a finite rate"},
        std::tuple{"dnntrain.lr", "inf", "'dnntrain.lr' is not a finite rate"},
        std::tuple{"dnntrain.format_version", "999", "format_version '999' is unknown"},
        std::tuple{"dnntrain.format_version", "1", "cannot be resumed"}}) {
    INFO(std::string(key) << " = " << std::string(value));
    test::rewrite_checkpoint(path, edited, [&](test::Metadata& meta) { meta[key] = value; });
    Model r = tiny(true);
    engine::Optimizer other(r.params, momentum_sgd());
    CHECK_THROWS_WITH_AS(engine::resume_checkpoint(edited, r.params, r.buffers, other),
                         doctest::Contains(phrase), Error);
  }
  // The unedited file, rewritten the same way, resumes: the checks above refuse values, not files.
  test::rewrite_checkpoint(path, edited, [](test::Metadata&) {});
  Model r = tiny(true);
  engine::Optimizer other(r.params, momentum_sgd());
  CHECK(engine::resume_checkpoint(edited, r.params, r.buffers, other).step == 2);
}

}  // namespace
}  // namespace dnntrain
