// A standalone ReLU (where it cannot be fused into batch norm or the residual add). Runs in place
// when its input has no other reader; backward reads its own output.
#pragma once

#include "engine/layer.hpp"
#include "engine/op.hpp"

namespace dnntrain::layers {

class Relu : public engine::Layer {
 public:
  explicit Relu(std::string name) : Layer(std::move(name)) {}
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override { backward_.run(step); }

 private:
  engine::Op forward_, backward_;
};

}  // namespace dnntrain::layers
