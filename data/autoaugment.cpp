// The two policies' augmentation spaces and draws. Magnitudes are computed as torch.linspace
// computes float32 values (from both ends towards the middle), so that int() of a translation and
// the posterize bits equal torchvision's.
#include "data/autoaugment.hpp"

#include <cmath>

#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

// torch.linspace(start, end, steps)[i] in float32 as its CPU kernel computes it (checked against
// PyTorch 2.x's values): step·i + start below steps/2, end - step·(steps-1-i) from there, each one
// fused multiply-add, step = (end - start) / (steps - 1).
float linspace(float start, float end, int steps, int i) {
  if (steps == 1) return start;
  const float step = (end - start) / static_cast<float>(steps - 1);
  return i < steps / 2 ? std::fma(step, static_cast<float>(i), start)
                       : std::fma(-step, static_cast<float>(steps - 1 - i), end);
}

}  // namespace

bool augment_op_signed(AugmentOp op) {
  switch (op) {
    case AugmentOp::shear_x:
    case AugmentOp::shear_y:
    case AugmentOp::translate_x:
    case AugmentOp::translate_y:
    case AugmentOp::rotate:
    case AugmentOp::brightness:
    case AugmentOp::color:
    case AugmentOp::contrast:
    case AugmentOp::sharpness:
      return true;
    default:
      return false;
  }
}

double augment_magnitude(AutoAugmentPolicy policy, AugmentOp op, int bin, int bins, int height, int width) {
  DNNTRAIN_CHECK(bins >= 2 && bin >= 0 && bin < bins, "autoaugment: magnitude bin out of range");
  const bool wide = policy == AutoAugmentPolicy::ta_wide;
  const auto lin = [&](double end) {
    return static_cast<double>(linspace(0.f, static_cast<float>(end), bins, bin));
  };
  switch (op) {
    case AugmentOp::shear_x:
    case AugmentOp::shear_y:
      return lin(wide ? 0.99 : 0.3);
    case AugmentOp::translate_x:
      return lin(wide ? 32.0 : 150.0 / 331.0 * width);
    case AugmentOp::translate_y:
      return lin(wide ? 32.0 : 150.0 / 331.0 * height);
    case AugmentOp::rotate:
      return lin(wide ? 135.0 : 30.0);
    case AugmentOp::brightness:
    case AugmentOp::color:
    case AugmentOp::contrast:
    case AugmentOp::sharpness:
      return lin(wide ? 0.99 : 0.9);
    case AugmentOp::posterize: {  // 8 - round(arange(bins) / ((bins - 1) / (6 or 4))), float32
      const float q = static_cast<float>(bin) / static_cast<float>((bins - 1) / (wide ? 6.0 : 4.0));
      return 8 - static_cast<int>(std::nearbyint(q));
    }
    case AugmentOp::solarize:
      return linspace(255.f, 0.f, bins, bin);
    default:
      return 0;
  }
}

AugmentChoice draw_augment(const AutoAugmentSettings& s, int i, int height, int width, const CounterRng& rng,
                           uint64_t draw) {
  const uint64_t d = draw + 3 * static_cast<uint64_t>(i);
  AugmentChoice c;
  c.op = static_cast<AugmentOp>(rng.uniform_int(d, kAugmentOps));
  const int bin =
      s.policy == AutoAugmentPolicy::ta_wide ? static_cast<int>(rng.uniform_int(d + 1, s.bins)) : s.magnitude;
  c.magnitude = augment_magnitude(s.policy, c.op, bin, s.bins, height, width);
  if (augment_op_signed(c.op) && rng.uniform01(d + 2) < 0.5) c.magnitude = -c.magnitude;
  return c;
}

void auto_augment(const AutoAugmentSettings& s, Image& img, const CounterRng& rng, uint64_t draw,
                  AugmentScratch& scratch) {
  if (s.policy == AutoAugmentPolicy::none) return;
  const int ops = s.policy == AutoAugmentPolicy::ra ? s.num_ops : 1;
  for (int i = 0; i < ops; ++i) {
    const AugmentChoice c = draw_augment(s, i, img.height, img.width, rng, draw);
    apply_augment_op(img, c.op, c.magnitude, s.interpolation, scratch);
  }
}

}  // namespace dnntrain::data
