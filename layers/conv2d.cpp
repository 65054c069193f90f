// Conv2d: plans its three primitives with format_tag::any weights, keeping the input's layout.
#include "layers/conv2d.hpp"

#include <cmath>

#include <fmt/format.h>

#include "engine/desc_format.hpp"
#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

memory::desc any(const memory::dims& d, dt type = dt::f32) { return memory::desc(d, type, tag::any); }

dnnl::algorithm preferred_algorithm(const Conv2dOptions& o) {
  using A = Conv2dOptions::Algorithm;
  return o.algorithm == A::winograd ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct;
}

// The algorithm's name for the plan, with the fact that a request for another one fell back.
std::string name_of(dnnl::algorithm chosen, dnnl::algorithm preferred) {
  if (chosen == dnnl::algorithm::convolution_winograd) return "winograd";
  return preferred == chosen ? "direct" : "direct (winograd unavailable)";
}

// Creates a primitive descriptor with `preferred`, or with direct when oneDNN has no
// implementation of `preferred` for it; `make(alg)` builds the descriptor for an algorithm.
template <class Make>
auto with_fallback(dnnl::algorithm& chosen, dnnl::algorithm preferred, Make&& make) {
  if (preferred != dnnl::algorithm::convolution_direct) {
    try {
      chosen = preferred;
      return make(preferred);
    } catch (const dnnl::error&) {
    }
  }
  chosen = dnnl::algorithm::convolution_direct;
  return make(chosen);
}

}  // namespace

Conv2d::Conv2d(std::string name, Conv2dOptions options) : Layer(std::move(name)), options_(options) {
  DNNTRAIN_CHECK(options_.in_channels > 0 && options_.out_channels > 0 && options_.kernel > 0 &&
                     options_.stride > 0 && options_.padding >= 0,
                 fmt::format("conv {}: channels, kernel and stride must be positive, padding >= 0", this->name()));
}

void Conv2d::plan(engine::Planner& p) {
  const memory::desc& src_md = p.input_desc(0);
  const memory::dims in = src_md.get_dims();
  const auto& o = options_;
  DNNTRAIN_CHECK(in.size() == 4 && in[1] == o.in_channels,
                 fmt::format("conv {}: expects {} input channels, got a tensor of {} channels", name(),
                             o.in_channels, in.size() == 4 ? in[1] : -1));
  const memory::dim oh = (in[2] + 2 * o.padding - o.kernel) / o.stride + 1;
  const memory::dim ow = (in[3] + 2 * o.padding - o.kernel) / o.stride + 1;
  DNNTRAIN_CHECK(in[2] + 2 * o.padding >= o.kernel && in[3] + 2 * o.padding >= o.kernel,
                 fmt::format("conv {}: input {}x{} is too small for a {}x{} kernel with padding {}; "
                             "use larger images", name(), in[2], in[3], o.kernel, o.kernel, o.padding));
  const memory::dims weights_dims{o.out_channels, o.in_channels, o.kernel, o.kernel};
  const memory::dims dst_dims{in[0], o.out_channels, oh, ow};
  const memory::dims bias_dims{o.out_channels};
  const memory::dims strides{o.stride, o.stride}, pad{o.padding, o.padding};
  const auto preferred = preferred_algorithm(o);
  const memory::desc no_bias;
  // bf16 inputs make a bf16 convolution: bf16 weights (working copies of f32 weights), output and
  // gradients; the weight gradient and the bias stay f32.
  const dt type = src_md.get_data_type();
  DNNTRAIN_CHECK(type == dt::f32 || type == dt::bf16,
                 fmt::format("conv {}: takes f32 or bf16 input, not {}", name(), engine::describe(src_md)));
  const bool bf16 = type == dt::bf16;

  dnnl::algorithm alg;
  auto fwd_pd = with_fallback(alg, preferred, [&](dnnl::algorithm a) {
    return dnnl::convolution_forward::primitive_desc(
        p.engine(), dnnl::prop_kind::forward_training, a, src_md, any(weights_dims, type),
        o.bias ? any(bias_dims) : no_bias, any(dst_dims, type), strides, pad, pad, p.attr());
  });
  p.note(fmt::format("fwd {} {}", name_of(alg, preferred), fwd_pd.impl_info_str()));
  const memory& dst = p.output(fwd_pd.dst_desc());
  const memory& diff_dst = p.diff_output();

  // Backward-weights writes the gradient straight into the f32 weights' own layout. In f32 that is
  // the forward's layout (`any` usually chooses it; otherwise it is forced); in bf16 it is the
  // layout backward-weights chooses, and the forward reads a working copy.
  auto bwd_w_pd_for = [&](dnnl::algorithm a, const memory::desc& dw) {
    return dnnl::convolution_backward_weights::primitive_desc(p.engine(), a, src_md, dw,
                                                              o.bias ? fwd_pd.bias_desc() : no_bias,
                                                              fwd_pd.dst_desc(), strides, pad, pad, fwd_pd, p.attr());
  };
  dnnl::algorithm bwd_w_alg;
  auto bwd_w_pd = with_fallback(bwd_w_alg, alg, [&](dnnl::algorithm a) {
    auto pd = bwd_w_pd_for(a, any(weights_dims, dt::f32));
    return bf16 || pd.diff_weights_desc() == fwd_pd.weights_desc() ? pd : bwd_w_pd_for(a, fwd_pd.weights_desc());
  });
  p.note(fmt::format("bwd_w {} {}", name_of(bwd_w_alg, preferred), bwd_w_pd.impl_info_str()));

  const float fan_out = static_cast<float>(o.out_channels * o.kernel * o.kernel);
  const float fan_in = static_cast<float>(o.in_channels * o.kernel * o.kernel);
  engine::Parameter& w = p.parameter("weight", {o.out_channels, o.in_channels, o.kernel, o.kernel},
                                     memory::desc(weights_dims, dt::f32, tag::oihw), bwd_w_pd.diff_weights_desc(),
                                     engine::Init::normal(std::sqrt(2.f / fan_out)), engine::Parameter::Role::weight);
  engine::Parameter* b = nullptr;
  if (o.bias)
    b = &p.parameter("bias", {o.out_channels}, memory::desc(bias_dims, dt::f32, tag::x), fwd_pd.bias_desc(),
                     engine::Init::uniform(1.f / std::sqrt(fan_in)), engine::Parameter::Role::bias);

  const memory forward_weights = bf16 ? p.working_copy(w, fwd_pd.weights_desc()) : w.weight;
  std::unordered_map<int, memory> fwd_args{
      {DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_WEIGHTS, forward_weights}, {DNNL_ARG_DST, dst}};
  if (b) fwd_args[DNNL_ARG_BIAS] = b->weight;
  forward_ = p.op(fwd_pd, fwd_args);

  std::unordered_map<int, memory> bwd_w_args{
      {DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, w.grad}};
  if (b) bwd_w_args[DNNL_ARG_DIFF_BIAS] = b->grad;
  backward_weights_ = p.op(bwd_w_pd, bwd_w_args);

  if (p.needs_diff_input(0)) {
    dnnl::algorithm bwd_d_alg;
    auto bwd_d_pd = with_fallback(bwd_d_alg, alg, [&](dnnl::algorithm a) {
      return dnnl::convolution_backward_data::primitive_desc(p.engine(), a, src_md, any(weights_dims, type),
                                                             fwd_pd.dst_desc(), strides, pad, pad, fwd_pd, p.attr());
    });
    p.note(fmt::format("bwd_d {} {}", name_of(bwd_d_alg, preferred), bwd_d_pd.impl_info_str()));
    // bf16: a second working copy where backward-data's layout differs, written by the optimizer;
    // f32: a reorder of the weights before each backward-data.
    memory weights_for_data = forward_weights;
    if (bf16) {
      weights_for_data = p.working_copy(w, bwd_d_pd.weights_desc());
    } else if (bwd_d_pd.weights_desc() != w.weight.get_desc()) {
      weights_for_data = p.backward_temporary(bwd_d_pd.weights_desc());
      weights_to_backward_layout_ = p.reorder(w.weight, weights_for_data);
    }
    backward_data_ = p.op(bwd_d_pd, {{DNNL_ARG_DIFF_DST, diff_dst},
                                     {DNNL_ARG_WEIGHTS, weights_for_data},
                                     {DNNL_ARG_DIFF_SRC, p.diff_input(0)}});
  }
  flops_ = 2.0 * in[0] * o.out_channels * oh * ow * fan_in;
}

void Conv2d::forward(engine::Step& step) { forward_.run(step); }

void Conv2d::backward(engine::Step& step) {
  if (backward_data_) {
    if (weights_to_backward_layout_) weights_to_backward_layout_.run(step);
    backward_data_.run(step);
  }
  backward_weights_.run(step);
}

}  // namespace dnntrain::layers
