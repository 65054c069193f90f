// 2-D convolution: forward, backward-data (only when the input needs a gradient, so the network's
// first conv skips it) and backward-weights, with an optional bias. Weights live in the layout the
// forward primitive chose; backward-data gets its own copy through a planned reorder if it wants
// another layout (direct backward-data usually does; Winograd uses the forward one).
#pragma once

#include "engine/layer.hpp"
#include "engine/names.hpp"
#include "engine/op.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::layers {

struct Conv2dOptions {
  int in_channels = 0, out_channels = 0;
  int kernel = 3, stride = 1, padding = 0;
  bool bias = false;
  // automatic: direct. Winograd F(4,3) is faster on 3×3 stride-1 layers, but its transforms
  // roughly triple the forward rounding error, which moves activations across ReLU kinks and puts
  // updates ~100x further from float64 than PyTorch's after a few steps (docs/numerics.md), so it
  // runs only when asked for; each pass then falls back to direct where oneDNN lacks it.
  enum class Algorithm { automatic, direct, winograd } algorithm = Algorithm::automatic;
};

// --conv-algorithm's names: the one table behind parsing, help text and errors.
inline constexpr engine::Named<Conv2dOptions::Algorithm> kConvAlgorithmNames[] = {
    {Conv2dOptions::Algorithm::automatic, "auto"},
    {Conv2dOptions::Algorithm::direct, "direct"},
    {Conv2dOptions::Algorithm::winograd, "winograd"}};

class Conv2d : public engine::Layer {
 public:
  using Options = Conv2dOptions;
  Conv2d(std::string name, Conv2dOptions options);
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override;
  void backward(engine::Step& step) override;
  double forward_flops() const override { return flops_; }
  // backward-weights, plus backward-data when it runs; each costs what forward does.
  double backward_flops() const override { return backward_data_ ? 2 * flops_ : flops_; }
  const Conv2dOptions& options() const { return options_; }

 private:
  Conv2dOptions options_;
  engine::Op forward_, backward_weights_, weights_to_backward_layout_, backward_data_;
  double flops_ = 0;
};

}  // namespace dnntrain::layers
