// TrivialAugmentWide and RandAugment (torchvision.transforms.autoaugment): which operation, which
// magnitude bin and which sign, drawn from a CounterRng so a sample's augmentation is a pure
// function of (seed, epoch, sample); the operations themselves are data/augment_ops.hpp's.
#pragma once

#include <cstdint>

#include "data/augment_ops.hpp"
#include "data/rng.hpp"
#include "engine/names.hpp"

namespace dnntrain::data {

enum class AutoAugmentPolicy { none, ta_wide, ra };
// --auto-augment's names (the empty name is none).
inline constexpr engine::Named<AutoAugmentPolicy> kAutoAugmentNames[] = {
    {AutoAugmentPolicy::ta_wide, "ta_wide"}, {AutoAugmentPolicy::ra, "ra"}};
inline constexpr int kMagnitudeBins = 31;  // both policies' num_magnitude_bins

// The magnitude of `op` at `bin` of `bins` as torchvision's augmentation space holds it (float32
// torch.linspace values; RandAugment's translations scale with the image's height and width).
// Unsigned: the caller negates signed ops. Ops without magnitude give 0.
double augment_magnitude(AutoAugmentPolicy policy, AugmentOp op, int bin, int bins, int height, int width);
// Whether torchvision flips the sign of `op`'s magnitude with probability 1/2.
bool augment_op_signed(AugmentOp op);

struct AutoAugmentSettings {
  AutoAugmentPolicy policy = AutoAugmentPolicy::none;
  int num_ops = 2;    // ra
  int magnitude = 9;  // ra: the bin
  int bins = kMagnitudeBins;
  Interpolation interpolation = Interpolation::nearest;
};

// One drawn operation: what a policy applies.
struct AugmentChoice {
  AugmentOp op = AugmentOp::identity;
  double magnitude = 0;  // signed
};

// The i-th operation the policy draws for a sample (i < num_ops for ra, i = 0 for ta_wide), from
// draws `draw + 3i + {0: op, 1: bin (ta_wide), 2: sign}`.
AugmentChoice draw_augment(const AutoAugmentSettings& settings, int i, int height, int width,
                           const CounterRng& rng, uint64_t draw);

// Applies the policy to img in place.
void auto_augment(const AutoAugmentSettings& settings, Image& img, const CounterRng& rng, uint64_t draw,
                  AugmentScratch& scratch);

}  // namespace dnntrain::data
