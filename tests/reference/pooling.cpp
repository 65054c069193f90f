// Reference pooling: one window scan shared by max-pool forward and backward, so both agree on
// which element is the maximum, and plain double sums for global average pooling.
#include "tests/reference/pooling.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace dnntrain::reference {
namespace {

// Flat src offset of the first maximum of window (n, c, oh, ow): strict > keeps the first in
// row-major order and a NaN always takes over, as in PyTorch's CPU kernel; padded positions are
// skipped, i.e. -inf.
size_t argmax_in_window(const Tensor& src, const Pool2dParams& p, int64_t n, int64_t c, int64_t oh,
                        int64_t ow) {
  const int64_t H = src.dims[2], W = src.dims[3];
  bool found = false;
  size_t best = 0;
  float best_value = 0.0f;
  for (int64_t kh = 0; kh < p.kernel_h; ++kh)
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      const int64_t h = oh * p.stride_h - p.pad_h + kh;
      const int64_t w = ow * p.stride_w - p.pad_w + kw;
      if (h < 0 || h >= H || w < 0 || w >= W) continue;
      const size_t k = src.offset({n, c, h, w});
      if (!found || src.data[k] > best_value || std::isnan(src.data[k])) {
        found = true;
        best = k;
        best_value = src.data[k];
      }
    }
  return best;
}

}  // namespace

std::vector<int64_t> max_pool2d_dst_dims(const std::vector<int64_t>& src_dims, const Pool2dParams& p) {
  if (src_dims.size() != 4 || p.kernel_h < 1 || p.kernel_w < 1 || p.stride_h < 1 || p.stride_w < 1 ||
      p.pad_h < 0 || p.pad_w < 0 || 2 * p.pad_h > p.kernel_h || 2 * p.pad_w > p.kernel_w ||
      src_dims[2] + 2 * p.pad_h < p.kernel_h || src_dims[3] + 2 * p.pad_w < p.kernel_w) {
    throw std::invalid_argument(fmt::format(
        "reference max_pool2d: src {} with kernel {}x{}, stride {}x{}, pad {}x{} (needs pad <= kernel / 2)",
        format_dims(src_dims), p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w));
  }
  return {src_dims[0], src_dims[1], (src_dims[2] + 2 * p.pad_h - p.kernel_h) / p.stride_h + 1,
          (src_dims[3] + 2 * p.pad_w - p.kernel_w) / p.stride_w + 1};
}

Tensor max_pool2d_forward(const Tensor& src, const Pool2dParams& p) {
  require_storage("max_pool2d_forward", {&src});
  Tensor dst = make_tensor(max_pool2d_dst_dims(src.dims, p));
  for (int64_t n = 0; n < dst.dims[0]; ++n)
    for (int64_t c = 0; c < dst.dims[1]; ++c)
      for (int64_t oh = 0; oh < dst.dims[2]; ++oh)
        for (int64_t ow = 0; ow < dst.dims[3]; ++ow)
          dst.at({n, c, oh, ow}) = src.data[argmax_in_window(src, p, n, c, oh, ow)];
  return dst;
}

Tensor max_pool2d_backward(const Tensor& diff_dst, const Tensor& src, const Pool2dParams& p) {
  require_storage("max_pool2d_backward", {&diff_dst, &src});
  if (diff_dst.dims != max_pool2d_dst_dims(src.dims, p)) {
    throw std::invalid_argument("reference max_pool2d_backward: diff_dst dims " + format_dims(diff_dst.dims));
  }
  // Accumulate in double: with overlapping windows one src element can collect several gradients.
  std::vector<double> acc(src.size(), 0.0);
  for (int64_t n = 0; n < diff_dst.dims[0]; ++n)
    for (int64_t c = 0; c < diff_dst.dims[1]; ++c)
      for (int64_t oh = 0; oh < diff_dst.dims[2]; ++oh)
        for (int64_t ow = 0; ow < diff_dst.dims[3]; ++ow)
          acc[argmax_in_window(src, p, n, c, oh, ow)] += diff_dst.at({n, c, oh, ow});
  Tensor diff_src = make_tensor(src.dims);
  for (size_t i = 0; i < acc.size(); ++i) diff_src.data[i] = static_cast<float>(acc[i]);
  return diff_src;
}

Tensor global_avg_pool_forward(const Tensor& src) {
  require_storage("global_avg_pool_forward", {&src});
  if (src.dims.size() != 4)
    throw std::invalid_argument("reference global_avg_pool: src " + format_dims(src.dims));
  const int64_t NC = src.dims[0] * src.dims[1], HW = src.dims[2] * src.dims[3];
  Tensor dst = make_tensor({src.dims[0], src.dims[1], 1, 1});
  for (int64_t j = 0; j < NC; ++j) {
    double s = 0.0;
    for (int64_t k = 0; k < HW; ++k) s += src.data[j * HW + k];
    dst.data[j] = static_cast<float>(s / static_cast<double>(HW));
  }
  return dst;
}

Tensor global_avg_pool_backward(const Tensor& diff_dst, const std::vector<int64_t>& src_dims) {
  require_storage("global_avg_pool_backward", {&diff_dst});
  if (src_dims.size() != 4 || diff_dst.dims != std::vector<int64_t>{src_dims[0], src_dims[1], 1, 1}) {
    throw std::invalid_argument("reference global_avg_pool_backward: diff_dst " + format_dims(diff_dst.dims) +
                                " for src " + format_dims(src_dims));
  }
  const int64_t NC = src_dims[0] * src_dims[1], HW = src_dims[2] * src_dims[3];
  Tensor diff_src = make_tensor(src_dims);
  for (int64_t j = 0; j < NC; ++j)
    for (int64_t k = 0; k < HW; ++k)
      diff_src.data[j * HW + k] =
          static_cast<float>(static_cast<double>(diff_dst.data[j]) / static_cast<double>(HW));
  return diff_src;
}

}  // namespace dnntrain::reference
