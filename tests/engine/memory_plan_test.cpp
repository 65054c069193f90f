// lay_out: buffers alive at the same time never share bytes, alignment holds, and the arena is no
// larger than the sum of the buffers; checked exhaustively on random interval sets.
#include <doctest/doctest.h>

#include <random>

#include "engine/memory_plan.hpp"

using dnntrain::engine::LiveBuffer;
using dnntrain::engine::lay_out;

TEST_CASE("memory plan: live buffers never overlap and reuse happens") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<LiveBuffer> buffers(1 + rng() % 30);
    size_t sum = 0;
    for (LiveBuffer& b : buffers) {
      b.bytes = 1 + rng() % 5000;
      b.first = static_cast<int>(rng() % 40);
      b.last = b.first + static_cast<int>(rng() % 10);
      sum += (b.bytes + 63) / 64 * 64;
    }
    const auto layout = lay_out(buffers, 64);
    REQUIRE(layout.offsets.size() == buffers.size());
    CHECK(layout.total <= sum);
    for (size_t i = 0; i < buffers.size(); ++i) {
      CHECK(layout.offsets[i] % 64 == 0);
      CHECK(layout.offsets[i] + buffers[i].bytes <= layout.total);
      for (size_t j = i + 1; j < buffers.size(); ++j) {
        const bool same_time = buffers[i].first <= buffers[j].last && buffers[j].first <= buffers[i].last;
        const bool same_bytes = layout.offsets[i] < layout.offsets[j] + buffers[j].bytes &&
                                layout.offsets[j] < layout.offsets[i] + buffers[i].bytes;
        CHECK_MESSAGE(!(same_time && same_bytes), "trial " << trial << ": buffers " << i << " and " << j);
      }
    }
  }
}

TEST_CASE("memory plan: disjoint lifetimes share one place") {
  const auto layout = lay_out({{1000, 0, 1}, {1000, 2, 3}, {1000, 4, 5}}, 64);
  CHECK(layout.total == 1024);
  CHECK(layout.offsets == std::vector<size_t>{0, 0, 0});
}
