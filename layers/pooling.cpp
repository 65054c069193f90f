// Pooling layers: the source layout is the producer's; the destination layout is oneDNN's choice.
#include "layers/pooling.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;

namespace {

struct Pool {
  dnnl::algorithm algorithm;
  memory::dims kernel, strides, padding, dst_dims;
};

// Plans forward (with workspace for max) and, when the input needs it, backward.
void plan_pool(engine::Planner& p, const Pool& pool, engine::Op& forward, engine::Op& backward) {
  const memory::desc& src_md = p.input_desc(0);
  const memory::desc dst_any(pool.dst_dims, src_md.get_data_type(), memory::format_tag::any);
  const memory::dims no_dilation(pool.kernel.size(), 0);
  auto fwd_pd = dnnl::pooling_forward::primitive_desc(p.engine(), dnnl::prop_kind::forward_training, pool.algorithm,
                                                      src_md, dst_any, pool.strides, pool.kernel, no_dilation,
                                                      pool.padding, pool.padding, p.attr());
  p.note(fmt::format("fwd {}", fwd_pd.impl_info_str()));
  const memory& dst = p.output(fwd_pd.dst_desc());
  p.backward_ignores_inputs();  // max: the workspace; average: only the shapes
  std::unordered_map<int, memory> fwd_args{{DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_DST, dst}};
  std::unordered_map<int, memory> bwd_args;
  if (pool.algorithm == dnnl::algorithm::pooling_max) {
    const memory workspace = p.saved(fwd_pd.workspace_desc());
    fwd_args[DNNL_ARG_WORKSPACE] = workspace;
    bwd_args[DNNL_ARG_WORKSPACE] = workspace;
  }
  forward = p.op(fwd_pd, fwd_args);
  if (!p.needs_diff_input(0)) return;
  auto bwd_pd = dnnl::pooling_backward::primitive_desc(p.engine(), pool.algorithm, src_md, fwd_pd.dst_desc(),
                                                       pool.strides, pool.kernel, no_dilation, pool.padding,
                                                       pool.padding, fwd_pd, p.attr());
  bwd_args[DNNL_ARG_DIFF_DST] = p.diff_output();
  bwd_args[DNNL_ARG_DIFF_SRC] = p.diff_input(0);
  backward = p.op(bwd_pd, bwd_args);
}

}  // namespace

MaxPool::MaxPool(std::string name, MaxPoolOptions options)
    : Layer(std::move(name)), kernel_(options.kernel), stride_(options.stride), padding_(options.padding) {
  DNNTRAIN_CHECK(
      kernel_ > 0 && stride_ > 0 && padding_ >= 0 && 2 * padding_ <= kernel_,
      fmt::format("max pool {}: needs kernel, stride > 0 and 0 <= padding <= kernel/2", this->name()));
}

void MaxPool::plan(engine::Planner& p) {
  const memory::dims in = p.input_desc(0).get_dims();
  DNNTRAIN_CHECK(in[2] + 2 * padding_ >= kernel_ && in[3] + 2 * padding_ >= kernel_,
                 fmt::format("max pool {}: input {}x{} is smaller than its {}x{} window; use larger images",
                             name(), in[2], in[3], kernel_, kernel_));
  const memory::dim oh = (in[2] + 2 * padding_ - kernel_) / stride_ + 1;
  const memory::dim ow = (in[3] + 2 * padding_ - kernel_) / stride_ + 1;
  // oneDNN checks (in - k + pad_l + pad_r) / stride + 1 == out with integer division, which is
  // PyTorch's floor mode when both sides get `padding`.
  Pool pool{dnnl::algorithm::pooling_max, {kernel_, kernel_}, {stride_, stride_}, {padding_, padding_},
            {in[0], in[1], oh, ow}};
  plan_pool(p, pool, forward_, backward_);
}

void GlobalAvgPool::plan(engine::Planner& p) {
  const memory::dims in = p.input_desc(0).get_dims();
  Pool pool{dnnl::algorithm::pooling_avg_exclude_padding, {in[2], in[3]}, {1, 1}, {0, 0}, {in[0], in[1], 1, 1}};
  plan_pool(p, pool, forward_, backward_);
}

}  // namespace dnntrain::layers
