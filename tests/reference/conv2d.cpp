// Reference convolution: the textbook seven nested loops, one function per pass, with no shared
// index tricks between passes so that each is checkable on its own.
#include "tests/reference/conv2d.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace dnntrain::reference {
namespace {

// Row-major offset into a 4-d tensor whose shape the caller has already validated; the checked
// Tensor::at would dominate the run time of these loops.
struct Index4 {
  int64_t d1, d2, d3;
  explicit Index4(const std::vector<int64_t>& dims) : d1(dims[1]), d2(dims[2]), d3(dims[3]) {}
  size_t operator()(int64_t a, int64_t b, int64_t c, int64_t d) const {
    return static_cast<size_t>(((a * d1 + b) * d2 + c) * d3 + d);
  }
};

}  // namespace

std::vector<int64_t> conv2d_dst_dims(const std::vector<int64_t>& src_dims,
                                     const std::vector<int64_t>& weights_dims, const Conv2dParams& p) {
  if (src_dims.size() != 4 || weights_dims.size() != 4 || src_dims[1] != weights_dims[1] || p.stride_h < 1 ||
      p.stride_w < 1 || p.pad_h < 0 || p.pad_w < 0) {
    throw std::invalid_argument(
        fmt::format("reference conv2d: src {} and weights {} do not fit (OIHW, groups 1)",
                    format_dims(src_dims), format_dims(weights_dims)));
  }
  const int64_t span_h = src_dims[2] + 2 * p.pad_h - weights_dims[2];
  const int64_t span_w = src_dims[3] + 2 * p.pad_w - weights_dims[3];
  if (span_h < 0 || span_w < 0) {
    throw std::invalid_argument(fmt::format("reference conv2d: kernel {} larger than padded src {}",
                                            format_dims(weights_dims), format_dims(src_dims)));
  }
  return {src_dims[0], weights_dims[0], span_h / p.stride_h + 1, span_w / p.stride_w + 1};
}

Tensor conv2d_forward(const Tensor& src, const Tensor& weights, const Tensor* bias, const Conv2dParams& p) {
  require_storage("conv2d_forward", {&src, &weights});
  if (bias) require_storage("conv2d_forward", {bias});
  Tensor dst = make_tensor(conv2d_dst_dims(src.dims, weights.dims, p));
  const int64_t N = src.dims[0], I = src.dims[1], H = src.dims[2], W = src.dims[3];
  const int64_t O = weights.dims[0], KH = weights.dims[2], KW = weights.dims[3];
  const int64_t OH = dst.dims[2], OW = dst.dims[3];
  const Index4 src_at(src.dims), weights_at(weights.dims), dst_at(dst.dims);
  if (bias && bias->dims != std::vector<int64_t>{O}) {
    throw std::invalid_argument("reference conv2d: bias dims " + format_dims(bias->dims));
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = bias ? bias->data[o] : 0.0;
          for (int64_t i = 0; i < I; ++i)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t h = oh * p.stride_h - p.pad_h + kh;
                const int64_t w = ow * p.stride_w - p.pad_w + kw;
                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                acc += static_cast<double>(src.data[src_at(n, i, h, w)]) *
                       weights.data[weights_at(o, i, kh, kw)];
              }
          dst.data[dst_at(n, o, oh, ow)] = static_cast<float>(acc);
        }
  return dst;
}

Tensor conv2d_backward_data(const Tensor& diff_dst, const Tensor& weights,
                            const std::vector<int64_t>& src_dims, const Conv2dParams& p) {
  require_storage("conv2d_backward_data", {&diff_dst, &weights});
  if (diff_dst.dims != conv2d_dst_dims(src_dims, weights.dims, p)) {
    throw std::invalid_argument("reference conv2d_backward_data: diff_dst dims " +
                                format_dims(diff_dst.dims));
  }
  const int64_t N = src_dims[0], I = src_dims[1], H = src_dims[2], W = src_dims[3];
  const int64_t O = weights.dims[0], KH = weights.dims[2], KW = weights.dims[3];
  const int64_t OH = diff_dst.dims[2], OW = diff_dst.dims[3];
  // Gather form: each diff_src element sums over the (o, kh, kw) whose window covers it, so the
  // accumulation stays in one double per output element.
  Tensor diff_src = make_tensor(src_dims);
  const Index4 src_at(src_dims), weights_at(weights.dims), dst_at(diff_dst.dims);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < I; ++i)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          double acc = 0.0;
          for (int64_t o = 0; o < O; ++o)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t th = h + p.pad_h - kh;  // = oh * stride_h
                const int64_t tw = w + p.pad_w - kw;
                if (th < 0 || tw < 0 || th % p.stride_h != 0 || tw % p.stride_w != 0) continue;
                const int64_t oh = th / p.stride_h, ow = tw / p.stride_w;
                if (oh >= OH || ow >= OW) continue;
                acc += static_cast<double>(diff_dst.data[dst_at(n, o, oh, ow)]) *
                       weights.data[weights_at(o, i, kh, kw)];
              }
          diff_src.data[src_at(n, i, h, w)] = static_cast<float>(acc);
        }
  return diff_src;
}

Conv2dWeightGrads conv2d_backward_weights(const Tensor& src, const Tensor& diff_dst,
                                          const std::vector<int64_t>& weights_dims, const Conv2dParams& p) {
  require_storage("conv2d_backward_weights", {&src, &diff_dst});
  if (diff_dst.dims != conv2d_dst_dims(src.dims, weights_dims, p)) {
    throw std::invalid_argument("reference conv2d_backward_weights: diff_dst dims " +
                                format_dims(diff_dst.dims));
  }
  const int64_t N = src.dims[0], I = src.dims[1], H = src.dims[2], W = src.dims[3];
  const int64_t O = weights_dims[0], KH = weights_dims[2], KW = weights_dims[3];
  const int64_t OH = diff_dst.dims[2], OW = diff_dst.dims[3];
  Conv2dWeightGrads g{make_tensor(weights_dims), make_tensor({O})};
  const Index4 src_at(src.dims), weights_at(weights_dims), dst_at(diff_dst.dims);
  for (int64_t o = 0; o < O; ++o) {
    for (int64_t i = 0; i < I; ++i)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw) {
          double acc = 0.0;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t h = oh * p.stride_h - p.pad_h + kh;
                const int64_t w = ow * p.stride_w - p.pad_w + kw;
                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                acc +=
                    static_cast<double>(src.data[src_at(n, i, h, w)]) * diff_dst.data[dst_at(n, o, oh, ow)];
              }
          g.diff_weights.data[weights_at(o, i, kh, kw)] = static_cast<float>(acc);
        }
    double bias_acc = 0.0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) bias_acc += diff_dst.data[dst_at(n, o, oh, ow)];
    g.diff_bias.data[o] = static_cast<float>(bias_acc);
  }
  return g;
}

}  // namespace dnntrain::reference
