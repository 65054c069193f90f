// Reference batch normalisation over NCHW (per-channel statistics over N, H, W) with PyTorch's
// conventions: biased variance to normalise, unbiased variance in the running estimate, momentum 0.1.
#pragma once

#include <cstdint>

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

struct BatchNormForward {
  Tensor dst;   // (N, C, H, W): gamma * (src - mean) / sqrt(var + eps) + beta, then ReLU if fused
  Tensor mean;  // (C) batch mean
  Tensor var;   // (C) biased batch variance, sum((x - mean)^2) / M with M = N * H * W
};

// Training forward with batch statistics; gamma and beta are (C).
BatchNormForward batch_norm_forward_training(const Tensor& src, const Tensor& gamma, const Tensor& beta,
                                             double eps, bool fuse_relu = false);

// Inference forward with given (C) running statistics.
Tensor batch_norm_forward_inference(const Tensor& src, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& running_mean, const Tensor& running_var, double eps,
                                    bool fuse_relu = false);

// In place, as torch.nn.BatchNorm2d in training:
//   running_mean = (1 - momentum) * running_mean + momentum * mean
//   running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1)
// where var is the biased batch variance and M = N * H * W (elements per channel, must be > 1).
void batch_norm_update_running_stats(Tensor& running_mean, Tensor& running_var, const Tensor& mean,
                                     const Tensor& var, int64_t elements_per_channel, double momentum = 0.1);

struct BatchNormBackward {
  Tensor diff_src;    // (N, C, H, W)
  Tensor diff_gamma;  // (C)
  Tensor diff_beta;   // (C)
};

// Full training backward through batch statistics, given the forward's mean and biased var.
// With a fused ReLU pass its dst as relu_dst: diff_dst is first masked to where relu_dst > 0.
// relu_dst == nullptr means no fused ReLU.
BatchNormBackward batch_norm_backward(const Tensor& diff_dst, const Tensor& src, const Tensor& gamma,
                                      const Tensor& mean, const Tensor& var, double eps,
                                      const Tensor* relu_dst = nullptr);

}  // namespace dnntrain::reference
