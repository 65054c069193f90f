// Input checks. The finiteness test runs in blocks whose flags are OR-ed without a branch, so the
// compiler vectorises it; only a block that holds a bad value is searched again for its position.
#include "api/input_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.hpp"

namespace dnntrain::api {

namespace {

constexpr size_t kBlock = 4096;

// |v| <= FLT_MAX is false exactly for NaN and ±infinity. A whole block has a constant trip count,
// which GCC's -O2 cost model needs to vectorise the loop.
template <size_t N>
bool has_non_finite(const float* values) {
  int bad = 0;
  for (size_t i = 0; i < N; ++i) bad |= !(std::fabs(values[i]) <= std::numeric_limits<float>::max());
  return bad != 0;
}

bool block_has_non_finite(const float* values, size_t n) {
  if (n == kBlock) return has_non_finite<kBlock>(values);
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(values[i])) return true;
  return false;
}

}  // namespace

int count_images(std::span<const float> images, size_t image_elements, const char* call) {
  DNNTRAIN_CHECK(!images.empty() && images.size() % image_elements == 0,
                 fmt::format("{}: {} floats are not a whole number of images of {} floats (C × H × W "
                             "of the ModelSpec); pass n × {} floats, NCHW",
                             call, images.size(), image_elements, image_elements));
  return static_cast<int>(images.size() / image_elements);
}

void check_finite_input(std::span<const float> images, int channels, int image_size, const char* call) {
  for (size_t start = 0; start < images.size(); start += kBlock) {
    const size_t n = std::min(kBlock, images.size() - start);
    if (!block_has_non_finite(images.data() + start, n)) continue;
    size_t i = start;
    while (std::isfinite(images[i])) ++i;
    const size_t plane = static_cast<size_t>(image_size) * static_cast<size_t>(image_size);
    const size_t image = i / (plane * static_cast<size_t>(channels));
    const size_t channel = i / plane % static_cast<size_t>(channels), y = i % plane / image_size,
                 x = i % static_cast<size_t>(image_size);
    throw Error(
        fmt::format("{}: image {} holds {} at channel {}, y {}, x {} (value {} of the input); the "
                    "input must be finite (the check is the check_finite_input option)",
                    call, image, images[i], channel, y, x, i));
  }
}

void check_label_count(std::span<const int32_t> labels, int images, const char* call) {
  DNNTRAIN_CHECK(
      labels.size() == static_cast<size_t>(images),
      fmt::format("{}: {} labels for {} images; pass one label per image", call, labels.size(), images));
}

}  // namespace dnntrain::api
