// MixUp/CutMix draws and the in-place mix. Gamma variates by Marsaglia and Tsang's method
// (alpha < 1 through Gamma(alpha + 1)·U^(1/alpha)), each try from fixed draw ids, so a batch's
// lambda is a pure function of (seed, epoch, batch, rank).
#include "data/batch_mix.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

constexpr int kGammaTries = 64;

// A uniform in (0, 1): never 0, so logarithms and powers stay finite.
double open01(const CounterRng& rng, uint64_t draw) { return rng.uniform01(draw) + 0x1.0p-54; }

double sample_gamma(double alpha, const CounterRng& rng, uint64_t boost_draw, uint64_t draw) {
  double boost = 1;
  if (alpha < 1) {
    boost = std::pow(open01(rng, boost_draw), 1.0 / alpha);
    alpha += 1;
  }
  const double d = alpha - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (int t = 0; t < kGammaTries; ++t) {
    const uint64_t k = draw + 3 * static_cast<uint64_t>(t);
    const double x =
        std::sqrt(-2.0 * std::log(open01(rng, k))) * std::cos(2 * std::numbers::pi * rng.uniform01(k + 1));
    const double v = std::pow(1 + c * x, 3);
    if (v <= 0) continue;
    if (std::log(open01(rng, k + 2)) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * boost;
  }
  return d * boost;  // 64 rejections in a row: probability below 1e-80
}

}  // namespace

double sample_beta(double alpha, const CounterRng& rng) {
  DNNTRAIN_CHECK(alpha > 0, "mix: Beta(alpha, alpha) needs alpha > 0");
  const double g1 = sample_gamma(alpha, rng, kMixGamma, 16),
               g2 = sample_gamma(alpha, rng, kMixGamma + 1, 512);
  return g1 + g2 > 0 ? g1 / (g1 + g2) : 0.5;
}

MixChoice cutmix_box(double lambda, int cx, int cy, int height, int width) {
  const double r = 0.5 * std::sqrt(1.0 - lambda);
  const int half_w = static_cast<int>(r * width), half_h = static_cast<int>(r * height);
  const int x1 = std::max(cx - half_w, 0), y1 = std::max(cy - half_h, 0);
  const int x2 = std::min(cx + half_w, width), y2 = std::min(cy + half_h, height);
  MixChoice c;
  c.kind = MixChoice::Kind::cutmix;
  c.box = {y1, x1, y2 - y1, x2 - x1};
  c.lambda = 1.0 - static_cast<double>((x2 - x1) * (y2 - y1)) / (static_cast<double>(width) * height);
  return c;
}

MixChoice draw_mix(const MixSettings& s, int height, int width, const CounterRng& rng) {
  if (!s.enabled()) return {};
  const bool cutmix =
      s.mixup_alpha > 0 && s.cutmix_alpha > 0 ? rng.uniform01(kMixChoice) >= 0.5 : s.cutmix_alpha > 0;
  const double lambda = sample_beta(cutmix ? s.cutmix_alpha : s.mixup_alpha, rng);
  if (!cutmix) return {MixChoice::Kind::mixup, lambda, {}};
  return cutmix_box(lambda, static_cast<int>(rng.uniform_int(kMixCenterX, static_cast<uint64_t>(width))),
                    static_cast<int>(rng.uniform_int(kMixCenterY, static_cast<uint64_t>(height))), height,
                    width);
}

void mix_batch(const MixChoice& choice, float* images, const int32_t* labels, int32_t* mix_labels, int n,
               int channels, int height, int width, float* row) {
  for (int i = 0; i < n; ++i)
    mix_labels[i] = choice.kind == MixChoice::Kind::none ? labels[i] : labels[(i + n - 1) % n];
  if (choice.kind == MixChoice::Kind::none || n == 0) return;
  const size_t per = static_cast<size_t>(channels) * height * width;
  // Rows from the last to the first, each with its predecessor's original values; row 0's partner
  // (the last row) was overwritten first, so it is kept in `row`.
  std::memcpy(row, images + (n - 1) * per, per * sizeof(float));
  const float own = static_cast<float>(choice.lambda), other = static_cast<float>(1.0 - choice.lambda);
  for (int i = n - 1; i >= 0; --i) {
    float* x = images + i * per;
    const float* partner = i > 0 ? images + (i - 1) * per : row;
    if (choice.kind == MixChoice::Kind::mixup) {
      for (size_t k = 0; k < per; ++k) {
        const float a = x[k] * own, b = partner[k] * other;
        x[k] = a + b;
      }
      continue;
    }
    const CropBox& b = choice.box;
    for (int c = 0; c < channels; ++c)
      for (int y = b.top; y < b.top + b.height; ++y) {
        const size_t at = (static_cast<size_t>(c) * height + y) * width + b.left;
        std::memcpy(x + at, partner + at, static_cast<size_t>(b.width) * sizeof(float));
      }
  }
}

}  // namespace dnntrain::data
