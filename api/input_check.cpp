// Input checks. The finiteness test reads each value's exponent bits: all ones is NaN or infinity.
// It runs in blocks whose flags are OR-ed without a branch, so the compiler vectorises it; only a
// block that holds a bad value is searched again for its position.
#include "api/input_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "engine/error.hpp"

namespace dnntrain::api {

namespace {

constexpr uint32_t kExponent = 0x7f800000u;
constexpr size_t kBlock = 4096;

bool block_has_non_finite(const float* values, size_t n) {
  uint32_t bad = 0;
  for (size_t i = 0; i < n; ++i) bad |= (std::bit_cast<uint32_t>(values[i]) & kExponent) == kExponent;
  return bad != 0;
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
