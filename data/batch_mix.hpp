// MixUp and CutMix at batch level, as torchvision's classification references apply them after
// collation: one of the two per batch (p = 1/2 each when both are on), lambda ~ Beta(alpha, alpha),
// the batch mixed with itself rolled by one; the labels become (labels, rolled labels, lambda).
#pragma once

#include <cstdint>

#include "data/rng.hpp"
#include "data/transforms.hpp"

namespace dnntrain::data {

struct MixSettings {
  double mixup_alpha = 0, cutmix_alpha = 0;  // 0: that one is off
  bool enabled() const { return mixup_alpha > 0 || cutmix_alpha > 0; }
};

// What one batch gets. `lambda` is the weight of a row's own label (CutMix: after the correction
// to the pasted box's true area); `box` is CutMix's [y1, y2) x [x1, x2) as top/left/height/width.
struct MixChoice {
  enum class Kind { none, mixup, cutmix } kind = Kind::none;
  double lambda = 1;
  CropBox box;
};

// The draws of one batch, from its own stream (mix_stream): 0 which of the two, 1 and 2 CutMix's
// centre x and y, 3 and 4 the two gammas' boosts (alpha < 1), 16.. and 512.. the two gammas'
// Marsaglia-Tsang tries (3 draws each, at most 64 tries).
enum MixDraw : uint64_t { kMixChoice = 0, kMixCenterX = 1, kMixCenterY = 2, kMixGamma = 3 };

// The stream of training batch `batch` of this epoch on `rank` of `world_size`: a CounterRng
// "sample" index counted down from below CounterRng::kPermutationStream, disjoint from every sample.
inline CounterRng mix_stream(uint64_t seed, uint64_t epoch, int64_t batch, int rank, int world_size) {
  const uint64_t global =
      static_cast<uint64_t>(batch) * static_cast<uint64_t>(world_size) + static_cast<uint64_t>(rank);
  return CounterRng(seed, epoch, CounterRng::kPermutationStream - 1 - global);
}

// Beta(alpha, alpha) as G1 / (G1 + G2) of two Gamma(alpha, 1) variates. requires: alpha > 0.
double sample_beta(double alpha, const CounterRng& rng);

// torchvision's RandomChoice([MixUp, CutMix]) of one batch of height x width images.
MixChoice draw_mix(const MixSettings& settings, int height, int width, const CounterRng& rng);

// CutMix's box and corrected lambda for centre (cx, cy) and drawn lambda, as torchvision: half sides
// int(0.5·sqrt(1 - lambda)·W) and ·H, clipped to the image; lambda = 1 - box area / image area.
MixChoice cutmix_box(double lambda, int cx, int cy, int height, int width);

// Mixes images [n, channels, height, width] in place with the batch rolled by one (row i with row
// i - 1, row 0 with row n - 1) and writes mix_labels[i] = labels[i - 1 mod n]. MixUp in float32 as
// torchvision: x·float(lambda) + x_rolled·float(1 - lambda); CutMix pastes the rolled rows' box.
// `row` is scratch of channels·height·width floats. Kind none: mix_labels = labels.
void mix_batch(const MixChoice& choice, float* images, const int32_t* labels, int32_t* mix_labels, int n,
               int channels, int height, int width, float* row);

}  // namespace dnntrain::data
