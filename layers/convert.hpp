// Convert: the same tensor in another data type, in the same layout or in nhwc; backward converts
// the gradient back. A bf16 graph enters bf16 after its input and leaves it before the classifier.
// f32 to bf16 rounds to nearest even; bf16 to f32 is exact.
#pragma once

#include <dnnl.hpp>

#include "engine/layer.hpp"
#include "engine/op.hpp"

namespace dnntrain::layers {

struct ConvertOptions {
  dnnl::memory::data_type to = dnnl::memory::data_type::f32;
  bool nhwc = false;  // a 4-D output in nhwc instead of the input's layout
};

class Convert : public engine::Layer {
 public:
  using Options = ConvertOptions;
  Convert(std::string name, ConvertOptions options) : Layer(std::move(name)), options_(options) {}
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override { backward_.run(step); }

 private:
  ConvertOptions options_;
  engine::Op forward_, backward_;
};

}  // namespace dnntrain::layers
