// A one-layer graph for layer tests: input (plain NCHW) → optional relayout → layer → DotLoss.
// Parameters and input are kept as plain tensors; loss() uploads them and runs forward, so the
// finite-difference checker can perturb plain values directly.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/graph.hpp"
#include "tests/reference/tensor.hpp"
#include "tests/support/harness.hpp"

namespace dnntrain::testing {

class LayerFixture {
 public:
  // layout: where the layer's input lives (e.g. nChw16c); nullopt = straight from the plain input.
  // type: the layer input's data type; with bf16, x and g are rounded to bf16 values, so the
  // reference sees exactly what the layer sees.
  LayerFixture(std::vector<int64_t> input_dims, std::optional<dnnl::memory::format_tag> layout,
               uint64_t seed = 1, dnnl::memory::data_type type = dnnl::memory::data_type::f32);

  template <class L, class... A>
  L& add(const std::string& name, A&&... options) {
    output_ = graph.add<L>(name, {layer_input_}, std::forward<A>(options)...);
    return graph.layer<L>(name);
  }
  // Plans, fills every parameter with seeded random values and the loss weights g.
  void plan();
  // Runs forward (mode) with the plain input and parameters uploaded; returns Σ g ⊙ y.
  double loss(engine::Mode mode = engine::Mode::train);
  void backward() { graph.backward(); }

  reference::Tensor& param(const std::string& name);  // plain value, used by loss()
  reference::Tensor grad(const std::string& name);    // the engine's gradient, plain
  reference::Tensor input_grad();                     // d(loss)/d(input), plain
  const reference::Tensor& output() const { return dot_->output(); }

  engine::Context context{0};
  engine::Graph graph{context, engine::GraphOptions{true}};
  reference::Tensor x, g;  // the input and the loss weights (d(loss)/d(output))
  std::vector<int64_t> labels;

 private:
  engine::TensorId input_, layer_input_, output_;
  DotLoss* dot_ = nullptr;
  std::vector<std::pair<std::string, reference::Tensor>> params_;
  uint64_t seed_;
  dnnl::memory::data_type type_;
};

}  // namespace dnntrain::testing
