// The autoaugment operations in torchvision's tensor arithmetic: float32 products and sums in the
// order torchvision writes them (this file is built without FMA contraction, ISO C++), `.to(uint8)`
// as truncation, grid sampling with pixel centres at +0.5 and zero padding.
#include "data/augment_ops.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

// torchvision's _get_inverse_affine_matrix (inverted=True), in double as Python computes it.
std::array<double, 6> inverse_affine(double cx, double cy, double angle, double tx, double ty, double shear_x,
                                     double shear_y) {
  const double deg = std::numbers::pi / 180.0;
  const double rot = angle * deg, sx = shear_x * deg, sy = shear_y * deg;
  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);
  std::array<double, 6> m = {d, -b, 0.0, -c, a, 0.0};
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

// F_t.affine: output pixel (x, y) reads the source at theta · (x - W/2 + 0.5, y - H/2 + 0.5, 1),
// normalised by (W/2, H/2) and unnormalised as grid_sample(align_corners=False) does, all in float.
void affine(Image& img, const std::array<double, 6>& md, Interpolation interpolation, Image& out) {
  const int w = img.width, h = img.height;
  std::array<float, 6> t{};
  for (int i = 0; i < 6; ++i) t[i] = static_cast<float>(md[i]);
  const float half_w = 0.5f * static_cast<float>(w), half_h = 0.5f * static_cast<float>(h);
  const float r00 = t[0] / half_w, r10 = t[1] / half_w, r20 = t[2] / half_w;  // x row of theta^T / (w/2)
  const float r01 = t[3] / half_h, r11 = t[4] / half_h, r21 = t[5] / half_h;
  const float fw = static_cast<float>(w), fh = static_cast<float>(h);
  out.resize(img.channels, h, w);
  const bool nearest = interpolation == Interpolation::nearest;
  for (int y = 0; y < h; ++y) {
    const float yb = static_cast<float>(y) - half_h + 0.5f;
    for (int x = 0; x < w; ++x) {
      const float xb = static_cast<float>(x) - half_w + 0.5f;
      const float gx = xb * r00 + yb * r10 + r20, gy = xb * r01 + yb * r11 + r21;
      const float ix = ((gx + 1.f) * fw - 1.f) / 2.f, iy = ((gy + 1.f) * fh - 1.f) / 2.f;
      if (nearest) {
        const float nx = std::nearbyint(ix), ny = std::nearbyint(iy);
        const bool inside = nx >= 0 && nx < fw && ny >= 0 && ny < fh;
        for (int c = 0; c < img.channels; ++c)
          out.row(c, y)[x] = inside ? img.row(c, static_cast<int>(ny))[static_cast<int>(nx)] : 0;
        continue;
      }
      const float x0f = std::floor(ix), y0f = std::floor(iy);
      const int x0 = static_cast<int>(x0f), y0 = static_cast<int>(y0f);
      const float dx1 = (x0f + 1.f) - ix, dx0 = ix - x0f, dy1 = (y0f + 1.f) - iy, dy0 = iy - y0f;
      const float wts[4] = {dx1 * dy1, dx0 * dy1, dx1 * dy0, dx0 * dy0};
      const int xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
      for (int c = 0; c < img.channels; ++c) {
        float acc = 0.f;
        for (int k = 0; k < 4; ++k)
          if (xs[k] >= 0 && xs[k] < w && ys[k] >= 0 && ys[k] < h) acc += img.row(c, ys[k])[xs[k]] * wts[k];
        out.row(c, y)[x] = static_cast<uint8_t>(std::clamp(std::nearbyint(acc), 0.f, 255.f));
      }
    }
  }
  std::swap(img.pixels, out.pixels);
}

// _blend(img1, img2, ratio) = (ratio·img1 + (1 - ratio)·img2).clamp(0, 255).to(uint8), float32.
inline uint8_t blend(uint8_t a, float b, float ratio, float one_minus) {
  return static_cast<uint8_t>(std::clamp(ratio * static_cast<float>(a) + one_minus * b, 0.f, 255.f));
}

// rgb_to_grayscale: (0.2989·r + 0.587·g) + 0.114·b in float32, truncated to u8.
inline uint8_t gray(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>(0.2989f * static_cast<float>(r) + 0.587f * static_cast<float>(g) +
                              0.114f * static_cast<float>(b));
}

void blend_with(Image& img, float ratio, float one_minus, const auto& other) {
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < img.height; ++y) {
      uint8_t* p = img.row(c, y);
      for (int x = 0; x < img.width; ++x) p[x] = blend(p[x], other(c, y, x), ratio, one_minus);
    }
}

void equalize_channel(uint8_t* p, int64_t n) {
  std::array<int64_t, 256> hist{};
  for (int64_t i = 0; i < n; ++i) ++hist[p[i]];
  int64_t last = -1, total = 0;  // sum of the non-zero bins except the last one
  for (int v = 0; v < 256; ++v)
    if (hist[v] != 0) {
      if (last >= 0) total += hist[last];
      last = v;
    }
  const int64_t step = total / 255;
  if (step == 0) return;
  std::array<uint8_t, 256> lut{};
  int64_t cumulative = 0;
  lut[0] = 0;
  for (int v = 0; v < 255; ++v) {
    cumulative += hist[v];
    lut[v + 1] = static_cast<uint8_t>(std::min<int64_t>(255, (cumulative + step / 2) / step));
  }
  for (int64_t i = 0; i < n; ++i) p[i] = lut[p[i]];
}

}  // namespace

void apply_augment_op(Image& img, AugmentOp op, double m, Interpolation interpolation, AugmentScratch& s) {
  const int w = img.width, h = img.height, channels = img.channels;
  const int64_t plane = static_cast<int64_t>(w) * h;
  const Interpolation sampling =
      interpolation == Interpolation::nearest ? Interpolation::nearest : Interpolation::bilinear;
  const double deg = 180.0 / std::numbers::pi;
  const float ratio = static_cast<float>(1.0 + m), one_minus = static_cast<float>(1.0 - (1.0 + m));
  switch (op) {
    case AugmentOp::identity:
      return;
    case AugmentOp::shear_x:  // center [0, 0]: (-W/2, -H/2) from the image centre
      return affine(img, inverse_affine(-0.5 * w, -0.5 * h, 0, 0, 0, std::atan(m) * deg, 0), sampling, s.tmp);
    case AugmentOp::shear_y:
      return affine(img, inverse_affine(-0.5 * w, -0.5 * h, 0, 0, 0, 0, std::atan(m) * deg), sampling, s.tmp);
    case AugmentOp::translate_x:
      return affine(img, inverse_affine(0, 0, 0, static_cast<int>(m), 0, 0, 0), sampling, s.tmp);
    case AugmentOp::translate_y:
      return affine(img, inverse_affine(0, 0, 0, 0, static_cast<int>(m), 0, 0), sampling, s.tmp);
    case AugmentOp::rotate:  // F.rotate passes -angle to the matrix
      return affine(img, inverse_affine(0, 0, -m, 0, 0, 0, 0), sampling, s.tmp);
    case AugmentOp::brightness:
      return blend_with(img, ratio, one_minus, [](int, int, int) { return 0.f; });
    case AugmentOp::color: {
      if (channels != 3) return;  // torchvision: a 1-channel image is returned unchanged
      s.tmp.resize(1, h, w);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          s.tmp.row(0, y)[x] = gray(img.row(0, y)[x], img.row(1, y)[x], img.row(2, y)[x]);
      return blend_with(img, ratio, one_minus,
                        [&](int, int y, int x) { return static_cast<float>(s.tmp.row(0, y)[x]); });
    }
    case AugmentOp::contrast: {
      // The mean of the (u8) gray image, summed exactly and divided in float32 as torch.mean.
      int64_t sum = 0;
      if (channels == 3) {
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) sum += gray(img.row(0, y)[x], img.row(1, y)[x], img.row(2, y)[x]);
      } else {
        for (int c = 0; c < channels; ++c)
          for (int64_t i = 0; i < plane; ++i) sum += img.pixels[static_cast<size_t>(c * plane + i)];
      }
      const int64_t count = channels == 3 ? plane : plane * channels;
      const float mean = static_cast<float>(sum) / static_cast<float>(count);
      const float weighted = one_minus * mean;
      return blend_with(img, ratio, 1.f, [&](int, int, int) { return weighted; });
    }
    case AugmentOp::sharpness: {
      if (w <= 2 || h <= 2) return;
      // The degenerate image: a 3x3 smoothing (1/13, centre 5/13) rounded to u8 inside, the
      // original on the border.
      s.tmp.resize(channels, h, w);
      std::copy(img.pixels.begin(), img.pixels.end(), s.tmp.pixels.begin());
      const float k = 1.f / 13.f, k_centre = 5.f / 13.f;
      for (int c = 0; c < channels; ++c)
        for (int y = 1; y < h - 1; ++y)
          for (int x = 1; x < w - 1; ++x) {
            float acc = 0.f;
            for (int dy = -1; dy <= 1; ++dy)
              for (int dx = -1; dx <= 1; ++dx)
                acc += img.row(c, y + dy)[x + dx] * (dx == 0 && dy == 0 ? k_centre : k);
            s.tmp.row(c, y)[x] = static_cast<uint8_t>(std::clamp(std::nearbyint(acc), 0.f, 255.f));
          }
      return blend_with(img, ratio, one_minus,
                        [&](int c, int y, int x) { return static_cast<float>(s.tmp.row(c, y)[x]); });
    }
    case AugmentOp::posterize: {
      const int bits = static_cast<int>(m);
      DNNTRAIN_CHECK(bits >= 0 && bits <= 8, "posterize: bits must be in [0, 8]");
      const uint8_t mask = static_cast<uint8_t>(0xFF00 >> bits);
      for (uint8_t& v : img.pixels) v &= mask;
      return;
    }
    case AugmentOp::solarize: {
      const float threshold = static_cast<float>(m);
      for (uint8_t& v : img.pixels)
        if (static_cast<float>(v) >= threshold) v = static_cast<uint8_t>(255 - v);
      return;
    }
    case AugmentOp::autocontrast:
      for (int c = 0; c < channels; ++c) {
        uint8_t* p = img.pixels.data() + c * plane;
        const auto [lo_it, hi_it] = std::minmax_element(p, p + plane);
        float lo = *lo_it;
        float scale = 255.f / (static_cast<float>(*hi_it) - lo);
        if (!std::isfinite(scale)) lo = 0.f, scale = 1.f;
        for (int64_t i = 0; i < plane; ++i)
          p[i] = static_cast<uint8_t>(std::clamp((static_cast<float>(p[i]) - lo) * scale, 0.f, 255.f));
      }
      return;
    case AugmentOp::equalize:
      for (int c = 0; c < channels; ++c) equalize_channel(img.pixels.data() + c * plane, plane);
      return;
  }
}

}  // namespace dnntrain::data
