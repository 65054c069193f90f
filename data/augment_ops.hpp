// The fourteen image operations of torchvision's TrivialAugmentWide and RandAugment, on planar u8
// images as torchvision's tensor functions compute them (float32 arithmetic, the same truncations
// and roundings), so that each output is within ±1 of torchvision's for the same magnitude.
#pragma once

#include <vector>

#include "data/image.hpp"
#include "data/resize.hpp"

namespace dnntrain::data {

// In the order of torchvision's augmentation space (the index a policy draws).
enum class AugmentOp {
  identity,
  shear_x,
  shear_y,
  translate_x,
  translate_y,
  rotate,
  brightness,
  color,
  contrast,
  sharpness,
  posterize,
  solarize,
  autocontrast,
  equalize,
};
inline constexpr int kAugmentOps = 14;

// Buffers reused across calls; steady state allocates nothing.
struct AugmentScratch {
  Image tmp;
  std::vector<float> channel_f32;
};

// img = op(img, magnitude), torchvision.transforms.autoaugment._apply_op on a uint8 tensor with
// fill None (zeros outside the image):
//  shear_x/y   affine, shear = degrees(atan(m)) about the top-left corner
//  translate   affine by int(m) pixels
//  rotate      rotate by m degrees about the centre
//  brightness, color, contrast, sharpness: blend with black, gray, the gray mean, the 3x3-smoothed
//              image at factor 1 + m, truncated to u8
//  posterize   keep int(m) high bits; solarize: invert values >= m; autocontrast; equalize
// Geometric ops sample with `interpolation` (nearest or bilinear; torchvision's tensor affine has no
// bicubic, bicubic falls back to bilinear). requires: img dense, 1 or 3 channels for color ops.
void apply_augment_op(Image& img, AugmentOp op, double magnitude, Interpolation interpolation,
                      AugmentScratch& scratch);

}  // namespace dnntrain::data
