// Reference fully connected layer, dst = src x weights^T + bias, with src [N, in] and weights
// [out, in] as in torch.nn.Linear and the fc.weight checkpoint key.
#pragma once

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

// dst [N, out]; bias [out] or nullptr for none.
Tensor linear_forward(const Tensor& src, const Tensor& weights, const Tensor* bias);

struct LinearBackward {
  Tensor diff_src;      // [N, in]  = diff_dst x weights
  Tensor diff_weights;  // [out, in] = diff_dst^T x src
  Tensor diff_bias;     // [out]     = sum of diff_dst over N; ignore it when there is no bias
};
LinearBackward linear_backward(const Tensor& diff_dst, const Tensor& src, const Tensor& weights);

}  // namespace dnntrain::reference
