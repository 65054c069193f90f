// Linear: inner_product forward / backward-data / backward-weights, nn.Linear's initialisation.
#include "layers/linear.hpp"

#include <cmath>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

Linear::Linear(std::string name, LinearOptions options)
    : Layer(std::move(name)), in_(options.in_features), out_(options.out_features) {
  DNNTRAIN_CHECK(in_ > 0 && out_ > 0,
                 fmt::format("linear {}: needs positive in and out features (got {} and {})", this->name(), in_, out_));
}

void Linear::plan(engine::Planner& p) {
  const memory::desc& src_md = p.input_desc(0);
  const memory::dims in = src_md.get_dims();
  const bool spatial = in.size() == 4;
  DNNTRAIN_CHECK(src_md.get_data_type() == dt::f32,
                 fmt::format("linear {}: runs in f32; convert its input first (layers/convert.hpp)", name()));
  DNNTRAIN_CHECK(in[1] == in_ && (!spatial || (in[2] == 1 && in[3] == 1)),
                 fmt::format("linear {}: expects (N, {}) or (N, {}, 1, 1) input", name(), in_, in_));
  const memory::dims weights_dims = spatial ? memory::dims{out_, in_, 1, 1} : memory::dims{out_, in_};
  const memory::desc weights_any(weights_dims, dt::f32, tag::any);
  const memory::desc bias_md({out_}, dt::f32, tag::x);
  const memory::desc dst_md({in[0], out_}, dt::f32, tag::nc);
  auto fwd_pd = dnnl::inner_product_forward::primitive_desc(p.engine(), dnnl::prop_kind::forward_training, src_md,
                                                            weights_any, bias_md, dst_md, p.attr());
  p.note(fmt::format("fwd {}", fwd_pd.impl_info_str()));
  const memory& dst = p.output(dst_md);
  const memory& diff_dst = p.diff_output();
  const float bound = 1.f / std::sqrt(static_cast<float>(in_));
  engine::Parameter& w = p.parameter("weight", {out_, in_}, memory::desc(weights_dims, dt::f32, spatial ? tag::oihw : tag::oi),
                                     fwd_pd.weights_desc(), engine::Init::uniform(bound), engine::Parameter::Role::weight);
  engine::Parameter& b = p.parameter("bias", {out_}, bias_md, bias_md, engine::Init::uniform(bound),
                                     engine::Parameter::Role::bias);
  forward_ = p.op(fwd_pd, {{DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_WEIGHTS, w.weight}, {DNNL_ARG_BIAS, b.weight},
                           {DNNL_ARG_DST, dst}});

  auto bwd_w_pd = dnnl::inner_product_backward_weights::primitive_desc(p.engine(), src_md, fwd_pd.weights_desc(),
                                                                       bias_md, dst_md, fwd_pd, p.attr());
  backward_weights_ = p.op(bwd_w_pd, {{DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_DIFF_DST, diff_dst},
                                      {DNNL_ARG_DIFF_WEIGHTS, w.grad}, {DNNL_ARG_DIFF_BIAS, b.grad}});
  if (p.needs_diff_input(0)) {
    auto bwd_d_pd = dnnl::inner_product_backward_data::primitive_desc(p.engine(), src_md, fwd_pd.weights_desc(),
                                                                      dst_md, fwd_pd, p.attr());
    backward_data_ = p.op(bwd_d_pd, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, w.weight},
                                     {DNNL_ARG_DIFF_SRC, p.diff_input(0)}});
  }
  flops_ = 2.0 * in[0] * in_ * out_;
}

void Linear::backward(engine::Step& step) {
  if (backward_data_) backward_data_.run(step);
  backward_weights_.run(step);
}

}  // namespace dnntrain::layers
