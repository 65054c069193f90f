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

// Fills start/count and weights (row-major, kmax per pixel) of the output pixels [o0, o1) of an
// in_size -> out_size resize, indexed from o0; returns kmax.
int coefficients(int in_size, int out_size, int o0, int o1, bool cubic, std::vector<int>& start,
                 std::vector<int>& count, std::vector<float>& weights) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = (cubic ? 2.0 : 1.0) * filter_scale;
  const int kmax = static_cast<int>(std::ceil(support)) * 2 + 1;
  start.resize(o1 - o0);
  count.resize(o1 - o0);
  weights.assign(static_cast<size_t>(o1 - o0) * kmax, 0.0f);
  for (int o = o0; o < o1; ++o) {
    const double center = (o + 0.5) * scale;
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);  // int(): truncation, as PIL
    const int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    float* w = weights.data() + static_cast<size_t>(o - o0) * kmax;
    double total = 0.0;
    const int n = std::min(hi - lo, kmax);
    for (int k = 0; k < n; ++k) total += filter(cubic, (k + lo - center + 0.5) / filter_scale);
    for (int k = 0; k < n; ++k) {
      const double wk = filter(cubic, (k + lo - center + 0.5) / filter_scale);
      w[k] = static_cast<float>(total != 0 ? wk / total : 0.0);
    }
    start[o - o0] = lo;
    count[o - o0] = n;
  }
  return kmax;
}

inline uint8_t to_u8(float v) { return static_cast<uint8_t>(std::clamp(std::floor(v + 0.5f), 0.0f, 255.0f)); }

// interpolate(mode="nearest"): source index floor(o · (in / out)) in float32, at most in - 1.
void resize_nearest(const ImageView& src, int out_h, int out_w, const ResizeWindow& win, Image& dst) {
  const auto index = [](int o, int in, int out) {
    if (in == out) return o;
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    return std::min(static_cast<int>(std::floor(static_cast<float>(o) * scale)), in - 1);
  };
  dst.resize(src.channels, win.height, win.width);
  for (int c = 0; c < src.channels; ++c)
    for (int y = 0; y < win.height; ++y) {
      const uint8_t* in = src.row(c, index(win.top + y, src.height, out_h));
      uint8_t* out = dst.row(c, y);
      for (int x = 0; x < win.width; ++x) out[x] = in[index(win.left + x, src.width, out_w)];
    }
}

}  // namespace

Size2 shorter_side_size(int height, int width, int size) {
  if (height <= width) return {size, static_cast<int>(static_cast<int64_t>(size) * width / height)};
  return {static_cast<int>(static_cast<int64_t>(size) * height / width), size};
}

void resize_image(const ImageView& src, int out_h, int out_w, Image& dst, ResizeScratch& s,
                  Interpolation interpolation, ResizeWindow win) {
  DNNTRAIN_CHECK(out_h > 0 && out_w > 0 && src.height > 0 && src.width > 0, "resize: empty image or size");
  if (win.height == 0) win = {0, 0, out_h, out_w};
  DNNTRAIN_CHECK(win.top >= 0 && win.left >= 0 && win.height > 0 && win.width > 0 &&
                     win.top + win.height <= out_h && win.left + win.width <= out_w,
                 "resize: the window is not inside the output");
  if (interpolation == Interpolation::nearest) return resize_nearest(src, out_h, out_w, win, dst);
  const bool cubic = interpolation == Interpolation::bicubic;
  const int c_n = src.channels;
  // The source rows the window's output rows read: all of them from the vertical pass's taps.
  const bool vertical = out_h != src.height;
  const int ky = vertical ? coefficients(src.height, out_h, win.top, win.top + win.height, cubic, s.y_start,
                                         s.y_count, s.y_weights)
                          : 0;
  const int row0 = vertical ? s.y_start.front() : win.top;
  const int row1 = vertical ? s.y_start.back() + s.y_count.back() : win.top + win.height;
  // Horizontal pass: the rows [row0, row1) of src, the window's columns -> s.horizontal.
  s.horizontal.resize(c_n, row1 - row0, win.width);
  if (out_w != src.width) {
    const int kx = coefficients(src.width, out_w, win.left, win.left + win.width, cubic, s.x_start, s.x_count,
                                s.x_weights);
    for (int c = 0; c < c_n; ++c) {
      for (int y = row0; y < row1; ++y) {
        const uint8_t* in = src.row(c, y);
        uint8_t* out = s.horizontal.row(c, y - row0);
        for (int x = 0; x < win.width; ++x) {
          const float* w = s.x_weights.data() + static_cast<size_t>(x) * kx;
          const uint8_t* p = in + s.x_start[x];
          float acc = 0.0f;
          for (int k = 0; k < s.x_count[x]; ++k) acc += w[k] * p[k];
          out[x] = to_u8(acc);
        }
      }
    }
  } else {
    for (int c = 0; c < c_n; ++c)
      for (int y = row0; y < row1; ++y)
        std::copy(src.row(c, y) + win.left, src.row(c, y) + win.left + win.width, s.horizontal.row(c, y - row0));
  }
  const ImageView mid = s.horizontal.view();
  // Vertical pass: mid -> dst (the window's rows).
  dst.resize(c_n, win.height, win.width);
  if (!vertical) {
    for (int c = 0; c < c_n; ++c)
      for (int y = 0; y < win.height; ++y) std::copy(mid.row(c, y), mid.row(c, y) + win.width, dst.row(c, y));
    return;
  }
  s.row_acc.resize(win.width);
  float* acc = s.row_acc.data();
  for (int c = 0; c < c_n; ++c) {
    for (int y = 0; y < win.height; ++y) {
      const float* w = s.y_weights.data() + static_cast<size_t>(y) * ky;
      std::fill(acc, acc + win.width, 0.0f);
      for (int k = 0; k < s.y_count[y]; ++k) {
        const uint8_t* in = mid.row(c, s.y_start[y] + k - row0);
        for (int x = 0; x < win.width; ++x) acc[x] += w[k] * in[x];
      }
      uint8_t* out = dst.row(c, y);
      for (int x = 0; x < win.width; ++x) out[x] = to_u8(acc[x]);
    }
  }
}

}  // namespace dnntrain::data
