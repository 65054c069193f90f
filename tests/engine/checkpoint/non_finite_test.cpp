// Checkpoints and non-finite values: never saved (the previous file stays whole), refused on load
// in weights, buffers and optimizer state, with or without dnntrain's metadata.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/checkpoint_fixture.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

namespace dnntrain {
namespace {

using namespace checkpoint_fixture;

TEST_CASE("non-finite values are never saved and the previous checkpoint stays whole") {
  TempDir dir;
  Model m = tiny(true);
  fill_random(m, 1);
  const std::string path = dir.file("c.safetensors");
  engine::save_weights(path, m.params, m.buffers);
  auto values =
      testing::read_plain(m.param("layer1.0.conv1.weight"), m.param("layer1.0.conv1.weight").weight);
  values[17] = std::nanf("");
  testing::write_plain(m.param("layer1.0.conv1.weight"), m.param("layer1.0.conv1.weight").weight, values);
  CHECK_THROWS_WITH_AS(engine::save_weights(path, m.params, m.buffers),
                       doctest::Contains("'layer1.0.conv1.weight' holds nan at flat index 17"), Error);
  m.buffers[1]->f32()[3] = INFINITY;
  CHECK_THROWS_WITH_AS(engine::save_weights(path, m.params, m.buffers), doctest::Contains("tensor"), Error);
  Model check = tiny(true);
  CHECK_NOTHROW(engine::load_weights(path, check.params, check.buffers));
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    CHECK(!engine::is_atomic_temporary(e.path().filename().string()));
}

TEST_CASE("non-finite weights and optimizer state are refused on load") {
  TempDir dir;
  Model m = tiny(true);
  engine::Optimizer opt(m.params, momentum_sgd());
  const std::string path = saved_checkpoint(dir, m, opt);
  const std::string edited = dir.file("edited.safetensors");
  for (const std::string tensor :
       {"fc.weight", "bn1.running_var", "optimizer.conv1.weight.momentum_buffer"}) {
    const std::string non_finite = "'" + tensor + "' holds a non-finite value";
    for (const float bad : {NAN, INFINITY}) {
      INFO(tensor << " holds " << bad);
      const auto poison = [&](std::vector<uint8_t>& data, const std::map<std::string, uint64_t>& offsets) {
        std::memcpy(data.data() + offsets.at(tensor) + 4, &bad, sizeof bad);
      };
      test::rewrite_checkpoint(
          path, edited, [](test::Metadata&) {}, poison);
      Model r = tiny(true);
      engine::Optimizer other(r.params, momentum_sgd());
      CHECK_THROWS_WITH_AS(engine::resume_checkpoint(edited, r.params, r.buffers, other),
                           doctest::Contains(non_finite.c_str()), Error);
      if (tensor.starts_with("optimizer.")) continue;  // --init ignores optimizer state
      CHECK_THROWS_WITH_AS(engine::load_weights(edited, r.params, r.buffers),
                           doctest::Contains(non_finite.c_str()), Error);
      // A torch-like file (no dnntrain metadata, no checksum) is checked the same way.
      test::rewrite_checkpoint(
          path, edited,
          [](test::Metadata& meta) {
            meta = {{"format", "pt"}};
          },
          poison);
      CHECK_THROWS_WITH_AS(engine::load_weights(edited, r.params, r.buffers),
                           doctest::Contains(non_finite.c_str()), Error);
    }
  }
}

}  // namespace
}  // namespace dnntrain
