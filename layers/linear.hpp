// The fully connected head: an inner product with bias, (N, C[, 1, 1]) → (N, classes).
// Its weight is [out, in] to PyTorch and out×in×1×1 to oneDNN: the same elements, reshaped.
#pragma once

#include "engine/layer.hpp"
#include "engine/op.hpp"

namespace dnntrain::layers {

struct LinearOptions {
  int in_features = 0, out_features = 0;
};

class Linear : public engine::Layer {
 public:
  using Options = LinearOptions;
  Linear(std::string name, LinearOptions options);
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override;
  double forward_flops() const override { return flops_; }
  double backward_flops() const override { return backward_data_ ? 2 * flops_ : flops_; }

 private:
  int in_, out_;
  engine::Op forward_, backward_data_, backward_weights_;
  double flops_ = 0;
};

}  // namespace dnntrain::layers
