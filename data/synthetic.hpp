// Synthetic datasets: deterministic pseudo-random images and labels of any shape, for benchmarks
// and tests that must not depend on files being present.
#pragma once

#include <cstdint>
#include <memory>

#include "data/dataset.hpp"

namespace dnntrain::data {

struct SyntheticSpec {
  int64_t samples = 1024;
  int channels = 3, height = 32, width = 32;
  int classes = 10;
  uint64_t seed = 0;
};

// Pixel (i, c, y, x) and label i are pure functions of (seed, i, …) through CounterRng, so the
// same spec always yields the same data. Labels are uniform in [0, classes).
std::unique_ptr<InMemoryDataset> make_synthetic(const SyntheticSpec& spec);

}  // namespace dnntrain::data
