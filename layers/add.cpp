// Add: binary_add with a ReLU post-op; backward is the ReLU's backward from the saved output.
#include "layers/add.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

void Add::plan(engine::Planner& p) {
  DNNTRAIN_CHECK(p.num_inputs() == 2, fmt::format("add {}: needs two inputs", name()));
  const dnnl::memory::desc& md = p.input_desc(0);
  DNNTRAIN_CHECK(md.get_dims() == p.input_desc(1).get_dims(),
                 fmt::format("add {}: the two summands differ in shape", name()));
  dnnl::primitive_attr attr = p.attr();
  if (relu_) {
    dnnl::post_ops ops;
    ops.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  auto fwd_pd = dnnl::binary::primitive_desc(p.engine(), dnnl::algorithm::binary_add, md, p.input_desc(1), md, attr);
  const dnnl::memory dst = p.can_output_in_place(0) ? p.output_in_place(0) : p.output(md);
  if (relu_) p.backward_reads_output();
  p.backward_ignores_inputs();
  forward_ = p.op(fwd_pd, {{DNNL_ARG_SRC_0, p.input(0)}, {DNNL_ARG_SRC_1, p.input(1)}, {DNNL_ARG_DST, dst}});

  const int first = p.needs_diff_input(0) ? 0 : (p.needs_diff_input(1) ? 1 : -1);
  if (first < 0) return;
  p.share_diff_input(1 - first, first);
  DNNTRAIN_CHECK(p.input_desc(0) == p.input_desc(1) || !p.needs_diff_input(1 - first),
                 fmt::format("add {}: summands in different layouts", name()));
  const dnnl::memory& diff_src = p.diff_input(first);
  if (relu_) {
    const auto alg = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
    auto hint = dnnl::eltwise_forward::primitive_desc(p.engine(), dnnl::prop_kind::forward_training, alg, md, md,
                                                      0.f, 0.f, p.attr());
    auto bwd_pd = dnnl::eltwise_backward::primitive_desc(p.engine(), alg, md, md, md, 0.f, 0.f, hint, p.attr());
    backward_ = p.op(bwd_pd, {{DNNL_ARG_DST, dst}, {DNNL_ARG_DIFF_DST, p.diff_output()},
                              {DNNL_ARG_DIFF_SRC, diff_src}});
  } else {
    backward_ = p.reorder(p.diff_output(), diff_src);
  }
}

}  // namespace dnntrain::layers
