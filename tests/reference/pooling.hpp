// Reference pooling over NCHW: max pooling with PyTorch's semantics (padding never wins, the first
// maximum in row-major window order takes the gradient) and global average pooling to (N, C, 1, 1).
#pragma once

#include <cstdint>
#include <vector>

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

// Output size floor((H + 2 pad - kernel) / stride) + 1 (PyTorch's ceil_mode = false); padding acts
// as -inf. Like PyTorch, requires pad <= kernel / 2 so no window is padding only.
struct Pool2dParams {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
};

std::vector<int64_t> max_pool2d_dst_dims(const std::vector<int64_t>& src_dims, const Pool2dParams& p);
// In both passes a NaN wins its window, as in PyTorch (the last NaN in row-major order).
Tensor max_pool2d_forward(const Tensor& src, const Pool2dParams& p);
// Routes each diff_dst element to its window's first maximum in src (recomputed, no workspace);
// overlapping windows add up.
Tensor max_pool2d_backward(const Tensor& diff_dst, const Tensor& src, const Pool2dParams& p);

// (N, C, H, W) -> (N, C, 1, 1), the mean over H, W.
Tensor global_avg_pool_forward(const Tensor& src);
// diff_src (src_dims) = diff_dst / (H * W), broadcast over H, W.
Tensor global_avg_pool_backward(const Tensor& diff_dst, const std::vector<int64_t>& src_dims);

}  // namespace dnntrain::reference
