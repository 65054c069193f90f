// Reference ReLU and the residual add with an optional fused ReLU, out = relu(a + b).
// Backward passes take the forward output, as oneDNN's do: the gradient flows where dst > 0.
#pragma once

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

Tensor relu_forward(const Tensor& src);
// diff_src = diff_dst where dst > 0, else 0.
Tensor relu_backward(const Tensor& diff_dst, const Tensor& dst);

// dst = a + b (same dims), then ReLU if fused.
Tensor add_forward(const Tensor& a, const Tensor& b, bool fuse_relu = false);

struct AddBackward {
  Tensor diff_a;
  Tensor diff_b;  // equal to diff_a: both inputs receive the same gradient
};
// relu_dst is the forward's dst when the ReLU was fused, nullptr otherwise.
AddBackward add_backward(const Tensor& diff_dst, const Tensor* relu_dst = nullptr);

}  // namespace dnntrain::reference
