// torchvision's crop parameter draws and the fused crop/flip/normalise store. Rounding is Python's
// round (half to even) via std::nearbyint in the default rounding mode.
#include "data/transforms.hpp"

#include <algorithm>
#include <cmath>

#include "engine/error.hpp"

namespace dnntrain::data {

CropBox random_crop_box(int height, int width, int size_h, int size_w, int pad, const CounterRng& rng,
                        uint64_t draw) {
  const int range_h = height + 2 * pad - size_h, range_w = width + 2 * pad - size_w;
  DNNTRAIN_CHECK(range_h >= 0 && range_w >= 0, "random crop larger than the padded image");
  return {static_cast<int>(rng.uniform_int(draw, static_cast<uint64_t>(range_h) + 1)),
          static_cast<int>(rng.uniform_int(draw + 1, static_cast<uint64_t>(range_w) + 1)), size_h, size_w};
}

CropBox random_resized_crop_box(int height, int width, std::array<double, 2> scale,
                                std::array<double, 2> ratio, const CounterRng& rng, uint64_t draw) {
  const double area = static_cast<double>(height) * width;
  const double log_r0 = std::log(ratio[0]), log_r1 = std::log(ratio[1]);
  for (int t = 0; t < 10; ++t) {
    const uint64_t d = draw + 4 * static_cast<uint64_t>(t);
    const double target = area * rng.uniform(d, scale[0], scale[1]);
    const double aspect = std::exp(rng.uniform(d + 1, log_r0, log_r1));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(target * aspect)));
    const int h = static_cast<int>(std::nearbyint(std::sqrt(target / aspect)));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const int top = static_cast<int>(rng.uniform_int(d + 2, static_cast<uint64_t>(height - h) + 1));
      const int left = static_cast<int>(rng.uniform_int(d + 3, static_cast<uint64_t>(width - w) + 1));
      return {top, left, h, w};
    }
  }
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < ratio[0]) {
    h = static_cast<int>(std::nearbyint(width / ratio[0]));
  } else if (in_ratio > ratio[1]) {
    w = static_cast<int>(std::nearbyint(height * ratio[1]));
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

std::optional<CropBox> random_erasing_box(int height, int width, std::array<double, 2> scale,
                                          std::array<double, 2> ratio, const CounterRng& rng, uint64_t draw) {
  const double area = static_cast<double>(height) * width;
  const double log_r0 = std::log(ratio[0]), log_r1 = std::log(ratio[1]);
  for (int t = 0; t < 10; ++t) {
    const uint64_t d = draw + 4 * static_cast<uint64_t>(t);
    const double erase_area = area * rng.uniform(d, scale[0], scale[1]);
    const double aspect = std::exp(rng.uniform(d + 1, log_r0, log_r1));
    const int h = static_cast<int>(std::nearbyint(std::sqrt(erase_area * aspect)));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(erase_area / aspect)));
    if (!(h < height && w < width)) continue;
    const int top = static_cast<int>(rng.uniform_int(d + 2, static_cast<uint64_t>(height - h) + 1));
    const int left = static_cast<int>(rng.uniform_int(d + 3, static_cast<uint64_t>(width - w) + 1));
    return CropBox{top, left, h, w};
  }
  return std::nullopt;
}

void erase(float* dst, int channels, int height, int width, const CropBox& box, float value) {
  DNNTRAIN_CHECK(
      box.top >= 0 && box.left >= 0 && box.top + box.height <= height && box.left + box.width <= width,
      "erase: the box lies outside the image");
  for (int c = 0; c < channels; ++c)
    for (int y = box.top; y < box.top + box.height; ++y) {
      float* row = dst + (static_cast<int64_t>(c) * height + y) * width;
      std::fill(row + box.left, row + box.left + box.width, value);
    }
}

void crop_flip(const ImageView& src, const CropBox& box, int pad, bool flip, Image& dst) {
  dst.resize(src.channels, box.height, box.width);
  const int x0 = box.left - pad, y0 = box.top - pad;
  for (int c = 0; c < src.channels; ++c)
    for (int y = 0; y < box.height; ++y) {
      uint8_t* out = dst.row(c, y);
      const int sy = y0 + y;
      if (sy < 0 || sy >= src.height) {
        std::fill(out, out + box.width, uint8_t{0});
        continue;
      }
      const uint8_t* in = src.row(c, sy);
      for (int x = 0; x < box.width; ++x) {
        const int sx = x0 + (flip ? box.width - 1 - x : x);
        out[x] = (sx < 0 || sx >= src.width) ? 0 : in[sx];
      }
    }
}

CropBox center_crop_box(int height, int width, int size_h, int size_w) {
  DNNTRAIN_CHECK(size_h <= height && size_w <= width, "centre crop larger than the image");
  return {static_cast<int>(std::nearbyint((height - size_h) / 2.0)),
          static_cast<int>(std::nearbyint((width - size_w) / 2.0)), size_h, size_w};
}

NormalizeLut::NormalizeLut(const std::vector<float>& mean, const std::vector<float>& std) {
  DNNTRAIN_CHECK(mean.size() == std.size() && !mean.empty(), "normalize: one mean and one std per channel");
  table_.resize(256 * mean.size());
  for (size_t c = 0; c < mean.size(); ++c) {
    for (int v = 0; v < 256; ++v) table_[256 * c + v] = (static_cast<float>(v) / 255.0f - mean[c]) / std[c];
  }
}

void crop_flip_normalize(const ImageView& src, const CropBox& box, int pad, bool flip,
                         const NormalizeLut& lut, float* dst) {
  DNNTRAIN_CHECK(lut.channels() == src.channels, "normalize: channel count differs from the image's");
  const int h = box.height, w = box.width;
  // Source column of output column x, before clipping to the unpadded image.
  const int x0 = box.left - pad, y0 = box.top - pad;
  for (int c = 0; c < src.channels; ++c) {
    const float* t = lut.channel(c);
    const float pad_value = t[0];
    for (int y = 0; y < h; ++y) {
      float* out = dst + (static_cast<int64_t>(c) * h + y) * w;
      const int sy = y0 + y;
      if (sy < 0 || sy >= src.height) {
        std::fill(out, out + w, pad_value);
        continue;
      }
      const uint8_t* in = src.row(c, sy);
      for (int x = 0; x < w; ++x) {
        const int sx = x0 + (flip ? w - 1 - x : x);
        out[x] = (sx < 0 || sx >= src.width) ? pad_value : t[in[sx]];
      }
    }
  }
}

}  // namespace dnntrain::data
