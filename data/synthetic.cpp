// Synthetic data generator: one CounterRng stream per sample, 8 pixels per 64-bit draw.
#include "data/synthetic.hpp"

#include "data/file_io.hpp"
#include "data/rng.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {

std::unique_ptr<InMemoryDataset> make_synthetic(const SyntheticSpec& s) {
  DNNTRAIN_CHECK(s.samples > 0 && s.channels > 0 && s.height > 0 && s.width > 0 && s.classes > 0,
                 "synthetic dataset: samples, shape and classes must all be positive");
  const int64_t per = static_cast<int64_t>(s.channels) * s.height * s.width;
  std::vector<uint8_t> pixels(static_cast<size_t>(checked_mul(
      static_cast<uint64_t>(per), static_cast<uint64_t>(s.samples), "synthetic dataset: samples x pixels")));
  std::vector<int32_t> labels(static_cast<size_t>(s.samples));
  for (int64_t i = 0; i < s.samples; ++i) {
    const CounterRng rng(s.seed, 0, static_cast<uint64_t>(i));
    labels[static_cast<size_t>(i)] =
        static_cast<int32_t>(rng.uniform_int(0, static_cast<uint64_t>(s.classes)));
    uint8_t* dst = pixels.data() + i * per;
    for (int64_t k = 0; k < per; k += 8) {
      const uint64_t bits = rng.bits(1 + static_cast<uint64_t>(k / 8));
      for (int64_t b = 0; b < 8 && k + b < per; ++b) dst[k + b] = static_cast<uint8_t>(bits >> (8 * b));
    }
  }
  return std::make_unique<InMemoryDataset>(std::move(pixels), std::move(labels),
                                           Dataset::Shape{s.channels, s.height, s.width}, s.classes,
                                           std::vector<std::string>{}, std::vector<int64_t>{});
}

}  // namespace dnntrain::data
