// Checkpoint weights: plain <-> blocked <-> file round trips, a file written by torch
// (make_fixture.py) loading into blocked parameters, a file torch loads, --init strictness and skip
// prefixes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/checkpoint_fixture.hpp"
#include "tests/reference/compare.hpp"

namespace dnntrain {
namespace {

using namespace checkpoint_fixture;

TEST_CASE("blocked -> file -> plain and plain -> file -> blocked round trips are exact") {
  TempDir dir;
  Model blocked = tiny(true), plain = tiny(false), again = tiny(true);
  fill_random(blocked, 11);
  engine::save_weights(dir.file("a.safetensors"), blocked.params, blocked.buffers);
  engine::load_weights(dir.file("a.safetensors"), plain.params, plain.buffers);
  check_same(blocked, plain, "blocked -> plain");
  engine::save_weights(dir.file("b.safetensors"), plain.params, plain.buffers);
  engine::load_weights(dir.file("b.safetensors"), again.params, again.buffers);
  check_same(plain, again, "plain -> blocked");
  // The file holds OIHW values, [out, in] for fc, an I64 0-d count, and exactly the model's keys.
  const auto st = engine::Safetensors::read(dir.file("a.safetensors"));
  CHECK(st.tensors().size() == 9);
  CHECK(st.metadata().at("format") == "pt");
  const auto want = testing::read_plain(blocked.param("fc.weight"), blocked.param("fc.weight").weight);
  const auto& fc = st.at("fc.weight", engine::DType::F32);
  CHECK(fc.shape == std::vector<int64_t>{5, 16});
  CHECK(std::memcmp(st.bytes(fc).data(), want.data(), want.size() * 4) == 0);
  CHECK(st.at("bn1.num_batches_tracked", engine::DType::I64).shape.empty());
  // Padding of the blocked parameters loaded from a file is zero.
  for (Parameter* p : again.params)
    CHECK_MESSAGE(testing::nonzero_padding(*p, p->weight, testing::value_mask(*p)) == 0, p->name);
}

TEST_CASE("a file written by torch (make_fixture.py) loads into blocked parameters") {
  Model m = tiny(true);
  engine::load_weights(DNNTRAIN_CHECKPOINT_FIXTURE_DIR "/torch_tiny.safetensors", m.params, m.buffers);
  for (Parameter* p : m.params) {
    const auto got = testing::read_plain(*p, p->weight);
    const auto want = fixture_values(p->name, p->elements());
    const auto r = reference::expect_close(got.data(), want.data(), got.size(), 0, 0);
    CHECK_MESSAGE(r.ok, p->name << ": " << r.message);
  }
  CHECK(std::ranges::equal(m.buffers[0]->f32(), fixture_values("bn1.running_mean", 10)));
  CHECK(std::ranges::equal(m.buffers[1]->f32(), fixture_values("bn1.running_var", 10)));
  CHECK(m.buffers[2]->i64() == 1234567890123);
}

TEST_CASE("writes a file torch loads") {
  // make_fixture.py check runs this case with DNNTRAIN_CHECKPOINT_OUT set, then loads the file
  // into the torch module with load_state_dict(strict=True) and compares every value.
  Model m = tiny(true);
  engine::load_weights(DNNTRAIN_CHECKPOINT_FIXTURE_DIR "/torch_tiny.safetensors", m.params, m.buffers);
  TempDir dir;
  const char* out = std::getenv("DNNTRAIN_CHECKPOINT_OUT");
  const std::string path = out ? out : dir.file("ours.safetensors");
  engine::save_weights(path, m.params, m.buffers);
  CHECK(engine::Safetensors::read(path).tensors().size() == 9);
}

TEST_CASE("init is strict: one error lists missing, unexpected and mis-shaped keys") {
  TempDir dir;
  Model src = tiny(true, 5);
  fill_random(src, 3);
  engine::save_weights(dir.file("w.safetensors"), src.params, src.buffers);
  Model other = tiny(true, 7);  // another number of classes
  other.add("extra.weight", {4, 3, 3, 3}, Tag::oihw, Tag::oihw);
  other.params.erase(other.params.begin() + 1);  // model lacks bn1.weight: the file has it
  fill_random(other, 99);
  const auto before = testing::read_plain(other.param("conv1.weight"), other.param("conv1.weight").weight);
  try {
    engine::load_weights(dir.file("w.safetensors"), other.params, other.buffers);
    FAIL("a mismatched checkpoint loaded");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(msg.find("missing keys (1): extra.weight;") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("unexpected keys (1): bn1.weight;") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("mis-shaped keys (2): fc.bias (file F32 [5], model F32 [7]); fc.weight") !=
                      std::string::npos,
                  msg);
    CHECK_MESSAGE(msg.find("w.safetensors") != std::string::npos, msg);
  }
  // Nothing was modified by the failed load.
  CHECK(before == testing::read_plain(other.param("conv1.weight"), other.param("conv1.weight").weight));
  // Skipping prefixes loads the rest and leaves fc alone.
  Model fine = tiny(true, 7);
  fill_random(fine, 5);
  const auto fc_before = testing::read_plain(fine.param("fc.weight"), fine.param("fc.weight").weight);
  engine::load_weights(dir.file("w.safetensors"), fine.params, fine.buffers, {{"fc."}});
  CHECK(fc_before == testing::read_plain(fine.param("fc.weight"), fine.param("fc.weight").weight));
  CHECK(testing::read_plain(fine.param("conv1.weight"), fine.param("conv1.weight").weight) ==
        testing::read_plain(src.param("conv1.weight"), src.param("conv1.weight").weight));
}

}  // namespace
}  // namespace dnntrain
