// Batch normalisation with PyTorch's running-statistics convention (momentum 0.1, unbiased
// running_var), optionally fused with the ReLU that follows it (oneDNN keeps a 1-bit workspace).
// Train mode normalises with batch statistics; eval mode with the running ones.
#pragma once

#include "engine/layer.hpp"
#include "engine/op.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::layers {

struct BatchNormOptions {
  int channels = 0;
  bool relu = false;  // fuse the ReLU that follows
  float eps = 1e-5f;
  float momentum = 0.1f;
  // Eval-mode statistics in training too (PyTorch's bn.eval() while fine-tuning): normalise with the
  // running statistics and leave them unchanged; scale and shift still train.
  bool frozen = false;
};

class BatchNorm : public engine::Layer {
 public:
  BatchNorm(std::string name, BatchNormOptions options);
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override;
  void backward(engine::Step& step) override;
  engine::Parameter& weight() { return *weight_; }

 private:
  void update_running_statistics();

  BatchNormOptions options_;
  engine::Op train_, eval_, backward_;
  engine::Parameter* weight_ = nullptr;
  engine::Buffer *running_mean_ = nullptr, *running_var_ = nullptr, *batches_tracked_ = nullptr;
  dnnl::memory batch_mean_, batch_var_;  // (C) f32, this step's statistics
  float unbias_ = 1.f;                   // M / (M - 1), M = N*H*W
};

}  // namespace dnntrain::layers
