// Harness layers and copies between plain reference tensors and oneDNN memories.
#include "tests/support/harness.hpp"

#include <cstring>
#include <stdexcept>

#include "engine/bf16.hpp"
#include "engine/precision.hpp"
#include "engine/planner.hpp"

namespace dnntrain::testing {

using dnnl::memory;

namespace {

// The same dimensions, plain and f32 (reorders convert bf16 tensors on the way).
memory::desc plain_desc(const memory::desc& md) {
  const memory::dims d = md.get_dims();
  static const memory::format_tag tags[] = {memory::format_tag::undef, memory::format_tag::a,
                                            memory::format_tag::ab, memory::format_tag::abc,
                                            memory::format_tag::abcd};
  return memory::desc(d, memory::data_type::f32, tags[d.size()]);
}

}  // namespace

bool bf16_available() { return engine::cpu_has_isa(dnnl::cpu_isa::avx512_core); }

void round_to_bf16(reference::Tensor& t) {
  for (float& v : t.data) v = engine::round_to_bf16(v);
}

void Relayout::plan(engine::Planner& p) {
  const memory::desc md(p.input_desc(0).get_dims(), options_.type, options_.tag);
  const memory& out = p.output(md);
  p.backward_ignores_inputs();
  forward_ = p.reorder(p.input(0), out);
  if (p.needs_diff_input(0)) backward_ = p.reorder(p.diff_output(), p.diff_input(0));
}

void DotLoss::plan(engine::Planner& p) {
  const memory::desc plain = plain_desc(p.input_desc(0));
  p.backward_ignores_inputs();
  plain_y_ = p.persistent(plain);
  plain_g_ = p.persistent(plain);
  to_plain_ = p.reorder(p.input(0), plain_y_);
  if (p.needs_diff_input(0)) to_diff_ = p.reorder(plain_g_, p.diff_input(0));
  const memory::dims d = plain.get_dims();
  output_ = reference::make_tensor(std::vector<int64_t>(d.begin(), d.end()));
}

void DotLoss::set_weights(const reference::Tensor& g) {
  if (g.size() != output_.size()) throw std::invalid_argument("DotLoss weights have the wrong size");
  std::memcpy(plain_g_.get_data_handle(), g.data.data(), g.size() * sizeof(float));
}

void DotLoss::forward(engine::Step& step) {
  to_plain_.run(step);
  step.stream.wait();
  std::memcpy(output_.data.data(), plain_y_.get_data_handle(), output_.size() * sizeof(float));
  const float* g = static_cast<const float*>(plain_g_.get_data_handle());
  double sum = 0;
  for (size_t i = 0; i < output_.size(); ++i) sum += static_cast<double>(g[i]) * output_.data[i];
  loss_ = sum;
}

reference::Tensor download(const memory& m, engine::Context& context) {
  const memory::desc plain = plain_desc(m.get_desc());
  const memory::dims d = plain.get_dims();
  reference::Tensor t = reference::make_tensor(std::vector<int64_t>(d.begin(), d.end()));
  memory dst(plain, context.engine(), t.data.data());
  dnnl::reorder(m, dst).execute(context.stream(), const_cast<memory&>(m), dst);
  context.stream().wait();
  return t;
}

void upload(const reference::Tensor& t, const memory& m, engine::Context& context) {
  const memory::desc plain = plain_desc(m.get_desc());
  if (plain.get_size() != t.size() * sizeof(float)) throw std::invalid_argument("upload: size mismatch");
  memory src(plain, context.engine(), const_cast<float*>(t.data.data()));
  dnnl::reorder(src, m).execute(context.stream(), src, const_cast<memory&>(m));
  context.stream().wait();
}

namespace {

// A parameter-shaped plain copy of `m` (the weight or the gradient of `p`).
reference::Tensor parameter_plain(engine::Parameter& p, memory& m, engine::Context& context) {
  memory plain(p.plain_md, context.engine());
  dnnl::reorder(m, plain).execute(context.stream(), m, plain);
  context.stream().wait();
  const float* v = static_cast<const float*>(plain.get_data_handle());
  return reference::make_tensor(p.shape, std::vector<float>(v, v + p.elements()));
}

}  // namespace

reference::Tensor weight_of(engine::Parameter& p, engine::Context& context) {
  return parameter_plain(p, p.weight, context);
}

reference::Tensor grad_of(engine::Parameter& p, engine::Context& context) { return parameter_plain(p, p.grad, context); }

void set_weight(engine::Parameter& p, const reference::Tensor& t, engine::Context& context) {
  if (t.size() != p.elements()) throw std::invalid_argument("set_weight: size mismatch for " + p.name);
  memory plain(p.plain_md, context.engine(), const_cast<float*>(t.data.data()));
  dnnl::reorder(plain, p.weight).execute(context.stream(), plain, p.weight);
  context.stream().wait();
  p.write_working_copies();
}

engine::Parameter& parameter(engine::Graph& g, const std::string& name) {
  for (engine::Parameter* p : g.parameters())
    if (p->name == name) return *p;
  throw std::invalid_argument("no parameter " + name);
}

size_t nonzero_padding(const memory& m, engine::Context& context) {
  // Round-trip through plain: a reorder back into the blocked layout writes zero padding, so any
  // byte that differs from that copy is padding that was not zero.
  const reference::Tensor plain = download(m, context);
  memory clean(m.get_desc(), context.engine());
  std::memset(clean.get_data_handle(), 0xff, m.get_desc().get_size());
  upload(plain, clean, context);
  const float* a = static_cast<const float*>(m.get_data_handle());
  const float* b = static_cast<const float*>(clean.get_data_handle());
  size_t bad = 0;
  for (size_t i = 0; i < m.get_desc().get_size() / sizeof(float); ++i) bad += std::memcmp(a + i, b + i, 4) != 0;
  return bad;
}

}  // namespace dnntrain::testing
