// Reference fully connected layer: three matrix products written as dot products in double.
// Shapes are checked up front because a transposed weight would otherwise pass silently when square.
#include "tests/reference/linear.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace dnntrain::reference {
namespace {

void check_shapes(const char* what, const Tensor& src, const Tensor& weights) {
  require_storage(what, {&src, &weights});
  if (src.dims.size() != 2 || weights.dims.size() != 2 || src.dims[1] != weights.dims[1]) {
    throw std::invalid_argument(
        fmt::format("reference {}: src {} and weights {} are not [N, in] and [out, in]", what,
                    format_dims(src.dims), format_dims(weights.dims)));
  }
}

}  // namespace

Tensor linear_forward(const Tensor& src, const Tensor& weights, const Tensor* bias) {
  check_shapes("linear_forward", src, weights);
  const int64_t N = src.dims[0], IN = src.dims[1], OUT = weights.dims[0];
  if (bias) require_storage("linear_forward", {bias});
  if (bias && bias->dims != std::vector<int64_t>{OUT}) {
    throw std::invalid_argument("reference linear_forward: bias dims " + format_dims(bias->dims));
  }
  Tensor dst = make_tensor({N, OUT});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OUT; ++o) {
      double acc = bias ? bias->data[o] : 0.0;
      for (int64_t i = 0; i < IN; ++i)
        acc += static_cast<double>(src.data[n * IN + i]) * weights.data[o * IN + i];
      dst.data[n * OUT + o] = static_cast<float>(acc);
    }
  return dst;
}

LinearBackward linear_backward(const Tensor& diff_dst, const Tensor& src, const Tensor& weights) {
  check_shapes("linear_backward", src, weights);
  const int64_t N = src.dims[0], IN = src.dims[1], OUT = weights.dims[0];
  require_storage("linear_backward", {&diff_dst});
  if (diff_dst.dims != std::vector<int64_t>{N, OUT}) {
    throw std::invalid_argument("reference linear_backward: diff_dst dims " + format_dims(diff_dst.dims));
  }
  LinearBackward g{make_tensor({N, IN}), make_tensor({OUT, IN}), make_tensor({OUT})};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < IN; ++i) {
      double acc = 0.0;
      for (int64_t o = 0; o < OUT; ++o)
        acc += static_cast<double>(diff_dst.data[n * OUT + o]) * weights.data[o * IN + i];
      g.diff_src.data[n * IN + i] = static_cast<float>(acc);
    }
  for (int64_t o = 0; o < OUT; ++o) {
    for (int64_t i = 0; i < IN; ++i) {
      double acc = 0.0;
      for (int64_t n = 0; n < N; ++n)
        acc += static_cast<double>(diff_dst.data[n * OUT + o]) * src.data[n * IN + i];
      g.diff_weights.data[o * IN + i] = static_cast<float>(acc);
    }
    double bias_acc = 0.0;
    for (int64_t n = 0; n < N; ++n) bias_acc += diff_dst.data[n * OUT + o];
    g.diff_bias.data[o] = static_cast<float>(bias_acc);
  }
  return g;
}

}  // namespace dnntrain::reference
