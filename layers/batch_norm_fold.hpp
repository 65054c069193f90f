// Folding an eval-mode batch norm into the convolution before it, for inference plans and the ONNX
// export: y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta becomes conv'(x) + b'.
// Computed in double from f32 parameters and running statistics, rounded once to f32.
#pragma once

#include <span>
#include <vector>

namespace dnntrain::layers {

struct FoldedConv {
  std::vector<float> weights;  // (O, I, kh, kw) plain, the convolution's weights times the scale
  std::vector<float> bias;     // (O)
};

// requires: weights.size() is a multiple of out_channels (O, I, kh, kw plain); bias is empty or
//   out_channels long; gamma, beta, running_mean and running_var are out_channels long; every
//   running_var + eps > 0.
// ensures: per output channel o, with s = gamma[o] / sqrt(running_var[o] + eps) in double,
//   weights'[o, …] = weights[o, …] * s and bias'[o] = (bias[o] - running_mean[o]) * s + beta[o].
FoldedConv fold_batch_norm(std::span<const float> weights, std::span<const float> bias, int out_channels,
                           std::span<const float> gamma, std::span<const float> beta,
                           std::span<const float> running_mean, std::span<const float> running_var,
                           double eps);

}  // namespace dnntrain::layers
