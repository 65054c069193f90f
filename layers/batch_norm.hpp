// Batch normalisation with PyTorch's conventions (momentum 0.1, unbiased running_var, statistics
// and gradient sums accumulated in double), optionally fused with the ReLU that follows it.
// Train mode normalises with batch statistics; eval mode with the running ones. Activations and
// their gradients are f32 or bf16 (the input's type); parameters and statistics are f32.
#pragma once

#include <vector>

#include "engine/layer.hpp"
#include "engine/parameter.hpp"
#include "layers/batch_norm_kernels.hpp"
#include "layers/channel_layout.hpp"

namespace dnntrain::layers {

struct BatchNormOptions {
  int channels = 0;
  bool relu = false;  // fuse the ReLU that follows; backward recomputes its mask from the input
  float eps = 1e-5f;
  float momentum = 0.1f;
  // Eval-mode statistics in training too (PyTorch's bn.eval() while fine-tuning): normalise with the
  // running statistics and leave them unchanged; scale and shift still train.
  bool frozen = false;
  // gamma's init rule; constant 0 makes the block's residual branch start as zero
  // (torchvision's zero_init_residual).
  engine::Init weight_init = engine::Init::constant(1.f);
};

class BatchNorm : public engine::Layer {
 public:
  using Options = BatchNormOptions;
  BatchNorm(std::string name, BatchNormOptions options);
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override;
  void backward(engine::Step& step) override;

 private:
  // Per-channel steps between the passes, for the real channels among [c0, c1): the batch
  // statistics from the moments, the forward map from given statistics, backward's terms.
  void batch_statistics(int64_t c0, int64_t c1);
  void affine_coefficients(int64_t c0, int64_t c1, const double* mean, const double* invstd);
  void input_gradient_terms(int64_t c0, int64_t c1);
  void update_running_statistics();
  // forward and backward on activations of element type T: float, or uint16_t holding bf16 bits.
  template <class T>
  void forward_as(engine::Step& step);
  template <class T>
  void backward_as();
  // The map forward applied last (batch or running statistics), which backward's ReLU mask repeats.
  ChannelAffine affine_map() const;

  BatchNormOptions options_;
  ChannelLayout layout_;
  ChannelSums sums_;
  bool bf16_ = false;                             // activations are bf16, else f32
  bool streaming_ = false;                        // outputs too large to stay cached: non-temporal stores
  dnnl::memory src_, dst_, diff_dst_, diff_src_;  // (N, C, H, W) in the input's layout and type
  engine::Parameter *weight_ = nullptr, *bias_ = nullptr;
  engine::Buffer *running_mean_ = nullptr, *running_var_ = nullptr, *batches_tracked_ = nullptr;
  // Per padded channel, zero past `channels`: this step's batch statistics (kept for backward),
  // the forward affine map, and the backward terms.
  std::vector<double> shift_, mean_, var_, invstd_, sum1_, sum2_;
  std::vector<float> scale_, offset_, mean_f_, k_, g_mean_, input_scale_;
};

}  // namespace dnntrain::layers
