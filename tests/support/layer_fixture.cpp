// LayerFixture: builds, plans and runs the one-layer test graph.
#include "tests/support/layer_fixture.hpp"

#include <stdexcept>

namespace dnntrain::testing {

LayerFixture::LayerFixture(std::vector<int64_t> input_dims, std::optional<dnnl::memory::format_tag> layout,
                           uint64_t seed, dnnl::memory::data_type type)
    : x(reference::make_tensor(input_dims)), seed_(seed), type_(type) {
  reference::fill_random(x, seed, -1.f, 1.f);
  if (type == dnnl::memory::data_type::bf16)
    round_to_bf16(x);  // the reference sees what the layer sees
  input_ = graph.input(dnnl::memory::dims(input_dims.begin(), input_dims.end()));
  layer_input_ = input_;
  if (layout || type != dnnl::memory::data_type::f32)
    layer_input_ = graph.add<Relayout>("relayout", {input_}, {layout.value_or(dnnl::memory::format_tag::nchw), type});
}

void LayerFixture::plan() {
  graph.add<DotLoss>("dot", {output_});
  dot_ = &graph.layer<DotLoss>("dot");
  graph.plan();
  graph.initialize(seed_);
  uint64_t s = seed_ * 100;
  for (engine::Parameter* p : graph.parameters()) {
    reference::Tensor t = reference::make_tensor(p->shape);
    reference::fill_random(t, ++s, -0.5f, 0.5f);
    if (p->role == engine::Parameter::Role::norm && p->name.ends_with(".weight"))
      for (float& v : t.data) v += 1.f;  // BN gamma near 1, as trained networks have
    params_.emplace_back(p->name, std::move(t));
  }
  g = reference::make_tensor(dot_->output().dims);
  reference::fill_random(g, seed_ + 7, -1.f, 1.f);
  if (type_ == dnnl::memory::data_type::bf16)
    round_to_bf16(g);  // the layer's output gradient is bf16 too
  dot_->set_weights(g);
}

double LayerFixture::loss(engine::Mode mode) {
  for (auto& [name, value] : params_) set_weight(parameter(graph, name), value, context);
  graph.forward(mode, x.data.data(), nullptr);
  return dot_->loss();
}

reference::Tensor& LayerFixture::param(const std::string& name) {
  for (auto& [n, value] : params_)
    if (n == name) return value;
  throw std::invalid_argument("no parameter " + name);
}

reference::Tensor LayerFixture::grad(const std::string& name) { return grad_of(parameter(graph, name), context); }

reference::Tensor LayerFixture::input_grad() { return download(graph.diff(input_), context); }

}  // namespace dnntrain::testing
