// Test scaffolding around the real engine: a layer that moves a tensor into a chosen (blocked)
// layout, a dot-product loss sink, and plain <-> oneDNN copies, so that layers can be compared
// with tests/reference on plain tensors and checked by finite differences through the graph.
#pragma once

#include <optional>
#include <vector>

#include <dnnl.hpp>

#include "engine/graph.hpp"
#include "engine/layer.hpp"
#include "engine/op.hpp"
#include "engine/parameter.hpp"
#include "tests/reference/tensor.hpp"

namespace dnntrain::testing {

// Whether oneDNN runs bf16 primitives on this CPU (natively or emulated on AVX-512); bf16 tests
// return early where it does not.
bool bf16_available();
// Every element of t rounded to the nearest bf16 (engine::round_to_bf16): what a bf16 tensor holds.
void round_to_bf16(reference::Tensor& t);

// Reorders its input into `tag` (e.g. nChw16c, padding C up to 16) and the gradient back.
class Relayout : public engine::Layer {
 public:
  // The layout and data type to move the input to (bf16 rounds to nearest even).
  struct Options {
    Options(dnnl::memory::format_tag t, dnnl::memory::data_type d = dnnl::memory::data_type::f32) : tag(t), type(d) {}
    dnnl::memory::format_tag tag;
    dnnl::memory::data_type type;
  };
  Relayout(std::string name, Options options) : Layer(std::move(name)), options_(options) {}
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override { forward_.run(step); }
  void backward(engine::Step& step) override { backward_.run(step); }

 private:
  Options options_;
  engine::Op forward_, backward_;
};

// loss = Σ g ⊙ y over the plain view of its input; backward assigns d(loss)/dy = g.
class DotLoss : public engine::Layer {
 public:
  explicit DotLoss(std::string name) : Layer(std::move(name)) {}
  bool is_sink() const override { return true; }
  void plan(engine::Planner& p) override;
  void forward(engine::Step& step) override;
  void backward(engine::Step& step) override { to_diff_.run(step); }
  void set_weights(const reference::Tensor& g);  // plain, the input's dims
  double loss() const { return loss_; }
  const reference::Tensor& output() const { return output_; }  // the input, plain, last forward

 private:
  engine::Op to_plain_, to_diff_;
  dnnl::memory plain_y_, plain_g_;
  reference::Tensor output_;
  double loss_ = 0;
};

// Plain copies of oneDNN memories, in any layout.
reference::Tensor download(const dnnl::memory& m, engine::Context& context);
void upload(const reference::Tensor& t, const dnnl::memory& m, engine::Context& context);
reference::Tensor weight_of(engine::Parameter& p, engine::Context& context);
reference::Tensor grad_of(engine::Parameter& p, engine::Context& context);
void set_weight(engine::Parameter& p, const reference::Tensor& t, engine::Context& context);
engine::Parameter& parameter(engine::Graph& g, const std::string& name);
// Elements of the padding of a blocked memory that are not exactly zero.
size_t nonzero_padding(const dnnl::memory& m, engine::Context& context);

}  // namespace dnntrain::testing
