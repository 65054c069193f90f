// PIL-compatible antialiased resampling (Pillow's Resample.c precompute_coeffs): support 1 (bilinear)
// or 2 (bicubic) × max(scale, 1), coefficients normalised per output pixel, pixel centres at +0.5.
#include "data/resize.hpp"

#include <algorithm>
#include <cmath>

#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

// PIL's filters: the triangle (support 1) and the cubic convolution with a = -0.5 (support 2).
double filter(bool cubic, double x) {
  x = std::abs(x);
  if (!cubic) return std::max(0.0, 1.0 - x);
  constexpr double a = -0.5;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Fills start/count (per output pixel) and weights (out_size x kmax, row-major); returns kmax.
int coefficients(int in_size, int out_size, bool cubic, std::vector<int>& start, std::vector<int>& count,
                 std::vector<float>& weights) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = (cubic ? 2.0 : 1.0) * filter_scale;
  const int kmax = static_cast<int>(std::ceil(support)) * 2 + 1;
  start.resize(out_size);
  count.resize(out_size);
  weights.assign(static_cast<size_t>(out_size) * kmax, 0.0f);
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale;
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);  // int(): truncation, as PIL
    const int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    float* w = weights.data() + static_cast<size_t>(o) * kmax;
    double total = 0.0;
    const int n = std::min(hi - lo, kmax);
    for (int k = 0; k < n; ++k) total += filter(cubic, (k + lo - center + 0.5) / filter_scale);
    for (int k = 0; k < n; ++k) {
      const double wk = filter(cubic, (k + lo - center + 0.5) / filter_scale);
      w[k] = static_cast<float>(total != 0 ? wk / total : 0.0);
    }
    start[o] = lo;
    count[o] = n;
  }
  return kmax;
}

inline uint8_t to_u8(float v) { return static_cast<uint8_t>(std::clamp(std::floor(v + 0.5f), 0.0f, 255.0f)); }

// interpolate(mode="nearest"): source index floor(o · (in / out)) in float32, at most in - 1.
void resize_nearest(const ImageView& src, int out_h, int out_w, Image& dst) {
  const auto index = [](int o, int in, int out) {
    if (in == out) return o;
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    return std::min(static_cast<int>(std::floor(static_cast<float>(o) * scale)), in - 1);
  };
  dst.resize(src.channels, out_h, out_w);
  for (int c = 0; c < src.channels; ++c)
    for (int y = 0; y < out_h; ++y) {
      const uint8_t* in = src.row(c, index(y, src.height, out_h));
      uint8_t* out = dst.row(c, y);
      for (int x = 0; x < out_w; ++x) out[x] = in[index(x, src.width, out_w)];
    }
}

}  // namespace

Size2 shorter_side_size(int height, int width, int size) {
  if (height <= width) return {size, static_cast<int>(static_cast<int64_t>(size) * width / height)};
  return {static_cast<int>(static_cast<int64_t>(size) * height / width), size};
}

void resize_image(const ImageView& src, int out_h, int out_w, Image& dst, ResizeScratch& s,
                  Interpolation interpolation) {
  DNNTRAIN_CHECK(out_h > 0 && out_w > 0 && src.height > 0 && src.width > 0, "resize: empty image or size");
  if (interpolation == Interpolation::nearest) return resize_nearest(src, out_h, out_w, dst);
  const bool cubic = interpolation == Interpolation::bicubic;
  const int c_n = src.channels;
  // Horizontal pass: src (h x w) -> s.horizontal (h x out_w).
  ImageView mid = src;
  if (out_w != src.width) {
    const int kx = coefficients(src.width, out_w, cubic, s.x_start, s.x_count, s.x_weights);
    s.horizontal.resize(c_n, src.height, out_w);
    for (int c = 0; c < c_n; ++c) {
      for (int y = 0; y < src.height; ++y) {
        const uint8_t* in = src.row(c, y);
        uint8_t* out = s.horizontal.row(c, y);
        for (int x = 0; x < out_w; ++x) {
          const float* w = s.x_weights.data() + static_cast<size_t>(x) * kx;
          const uint8_t* p = in + s.x_start[x];
          float acc = 0.0f;
          for (int k = 0; k < s.x_count[x]; ++k) acc += w[k] * p[k];
          out[x] = to_u8(acc);
        }
      }
    }
    mid = s.horizontal.view();
  }
  // Vertical pass: mid (h x out_w) -> dst (out_h x out_w).
  dst.resize(c_n, out_h, out_w);
  if (out_h == mid.height) {
    for (int c = 0; c < c_n; ++c)
      for (int y = 0; y < out_h; ++y) std::copy(mid.row(c, y), mid.row(c, y) + out_w, dst.row(c, y));
    return;
  }
  const int ky = coefficients(mid.height, out_h, cubic, s.y_start, s.y_count, s.y_weights);
  s.row_acc.resize(out_w);
  float* acc = s.row_acc.data();
  for (int c = 0; c < c_n; ++c) {
    for (int y = 0; y < out_h; ++y) {
      const float* w = s.y_weights.data() + static_cast<size_t>(y) * ky;
      std::fill(acc, acc + out_w, 0.0f);
      for (int k = 0; k < s.y_count[y]; ++k) {
        const uint8_t* in = mid.row(c, s.y_start[y] + k);
        for (int x = 0; x < out_w; ++x) acc[x] += w[k] * in[x];
      }
      uint8_t* out = dst.row(c, y);
      for (int x = 0; x < out_w; ++x) out[x] = to_u8(acc[x]);
    }
  }
}

}  // namespace dnntrain::data
