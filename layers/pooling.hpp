// Max pooling (with its workspace, for the ResNet stem) and global average pooling (the head).
#pragma once

#include "engine/layer.hpp"
#include "engine/op.hpp"

namespace dnntrain::layers {

struct MaxPoolOptions {
  int kernel = 0, stride = 1, padding = 0;
};

class MaxPool : public engine::Layer {
 public:
  using Options = MaxPoolOptions;
  MaxPool(std::string name, MaxPoolOptions options);
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override { backward_.run(step); }

 private:
  int kernel_, stride_, padding_;
  engine::Op forward_, backward_;
};

// Averages each channel over the whole H×W plane: (N, C, H, W) → (N, C, 1, 1).
class GlobalAvgPool : public engine::Layer {
 public:
  explicit GlobalAvgPool(std::string name) : Layer(std::move(name)) {}
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override { backward_.run(step); }

 private:
  engine::Op forward_, backward_;
};

}  // namespace dnntrain::layers
