// The residual sum out = relu(a + b) (ReLU optional), written over `a` when nothing else reads it.
// Backward gives both summands the same gradient, so one buffer serves both.
#pragma once

#include "engine/layer.hpp"
#include "engine/op.hpp"

namespace dnntrain::layers {

struct AddOptions {
  bool relu = false;  // fuse the ReLU that follows the sum
};

class Add : public engine::Layer {
 public:
  using Options = AddOptions;
  Add(std::string name, AddOptions options) : Layer(std::move(name)), relu_(options.relu) {}
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override { backward_.run(step); }

 private:
  bool relu_;
  engine::Op forward_, backward_;
};

}  // namespace dnntrain::layers
