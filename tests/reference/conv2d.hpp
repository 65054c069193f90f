// Reference 2-D convolution (groups = 1, no dilation) over NCHW activations and OIHW weights:
// direct loops accumulating in double, forward and both analytic backward passes.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

// Zero padding on both sides of each spatial axis; output size floor((H + 2 pad - K) / stride) + 1.
struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
};

// (N, O, OH, OW) for src (N, I, H, W) and weights (O, I, KH, KW); throws std::invalid_argument on
// mismatched channels or an empty output.
std::vector<int64_t> conv2d_dst_dims(const std::vector<int64_t>& src_dims,
                                     const std::vector<int64_t>& weights_dims, const Conv2dParams& p);

// dst (N, O, OH, OW); bias (O) or nullptr for none.
Tensor conv2d_forward(const Tensor& src, const Tensor& weights, const Tensor* bias, const Conv2dParams& p);

// diff_src (src_dims) from diff_dst (N, O, OH, OW); src_dims is needed because a stride > 1 makes
// H ambiguous from OH.
Tensor conv2d_backward_data(const Tensor& diff_dst, const Tensor& weights,
                            const std::vector<int64_t>& src_dims, const Conv2dParams& p);

struct Conv2dWeightGrads {
  Tensor diff_weights;  // (O, I, KH, KW)
  Tensor diff_bias;     // (O): sum of diff_dst over N, OH, OW; ignore it when the conv has no bias
};
Conv2dWeightGrads conv2d_backward_weights(const Tensor& src, const Tensor& diff_dst,
                                          const std::vector<int64_t>& weights_dims, const Conv2dParams& p);

}  // namespace dnntrain::reference
