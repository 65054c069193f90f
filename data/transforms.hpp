// The geometric and photometric steps of torchvision's transforms, as pure functions: random
// parameters come from a CounterRng, so a sample's augmentation is fixed by (seed, epoch, index).
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "data/image.hpp"
#include "data/rng.hpp"

namespace dnntrain::data {

// A crop rectangle; for pad + random crop, top/left are in padded coordinates.
struct CropBox {
  int top = 0, left = 0, height = 0, width = 0;
};

// RandomCrop(size, padding=pad): top in U{0..H+2p-size}, left in U{0..W+2p-size} (inclusive),
// drawn with draws `draw` and `draw + 1`. requires: size fits the padded image.
CropBox random_crop_box(int height, int width, int size_h, int size_w, int pad, const CounterRng& rng,
                        uint64_t draw);

// RandomHorizontalFlip(p): flip if uniform01(draw) < p.
inline bool random_flip(const CounterRng& rng, uint64_t draw, double p = 0.5) {
  return rng.uniform01(draw) < p;
}

// RandomResizedCrop.get_params (torchvision ≥ 0.8): up to 10 tries of area·U(scale) and
// exp(U(ln ratio)), rounded half-to-even, accepted if 0 < w <= W and 0 < h <= H; then the
// centre fallback clamped to the ratio range. Try t uses draws draw + 4t + {0: scale, 1: ratio,
// 2: top, 3: left}.
CropBox random_resized_crop_box(int height, int width, std::array<double, 2> scale,
                                std::array<double, 2> ratio, const CounterRng& rng, uint64_t draw);

// CenterCrop(size): top = round((H - size)/2), left = round((W - size)/2), half-to-even. requires:
// size <= H and size <= W (torchvision would pad; we call it an error upstream).
CropBox center_crop_box(int height, int width, int size_h, int size_w);

// RandomErasing(p, scale, ratio, value).get_params for an image of height x width: up to 10 tries
// of h = round(sqrt(area·U(scale)·r)), w = round(sqrt(area·U(scale)/r)), r = exp(U(ln ratio)),
// accepted if h < H and w < W, then top U{0..H-h}, left U{0..W-w}; nullopt after 10 failures (the
// image is left as it is). Try t uses draws draw + 4t + {0: scale, 1: ratio, 2: top, 3: left}.
std::optional<CropBox> random_erasing_box(int height, int width, std::array<double, 2> scale,
                                          std::array<double, 2> ratio, const CounterRng& rng, uint64_t draw);

// F.erase: dst[c, box] = value on a CHW float image of height x width.
void erase(float* dst, int channels, int height, int width, const CropBox& box, float value);

// The u8 part of crop_flip_normalize: dst = the crop `box` of `src` padded by `pad` zeros, flipped.
void crop_flip(const ImageView& src, const CropBox& box, int pad, bool flip, Image& dst);

// Per-channel ToTensor + Normalize folded into one lookup: lut[c][v] = (v / 255 - mean[c]) / std[c],
// evaluated in float exactly in that order.
class NormalizeLut {
 public:
  NormalizeLut() = default;
  NormalizeLut(const std::vector<float>& mean, const std::vector<float>& std);
  const float* channel(int c) const { return table_.data() + 256 * static_cast<size_t>(c); }
  int channels() const { return static_cast<int>(table_.size() / 256); }

 private:
  std::vector<float> table_;  // [channels, 256]
};

// The fused last step, writing the sample once into the batch: crop `box` out of `src` padded by
// `pad` zeros on every side (the pad is u8 0, i.e. applied before Normalize as torchvision does, so
// a pad pixel becomes -mean/std), optionally flip horizontally, normalise, and store CHW float at
// dst [channels, box.height, box.width].
void crop_flip_normalize(const ImageView& src, const CropBox& box, int pad, bool flip,
                         const NormalizeLut& lut, float* dst);

}  // namespace dnntrain::data
