// Relu: eltwise_relu_use_dst_for_bwd, so backward needs only the output.
#include "layers/relu.hpp"

#include "engine/planner.hpp"

namespace dnntrain::layers {

void Relu::plan(engine::Planner& p) {
  const dnnl::memory::desc& md = p.input_desc(0);
  const auto alg = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
  auto fwd_pd =
      dnnl::eltwise_forward::primitive_desc(p.engine(), dnnl::prop_kind::forward_training, alg, md, md, 0.f, 0.f, p.attr());
  const dnnl::memory dst = p.can_output_in_place(0) ? p.output_in_place(0) : p.output(md);
  p.backward_reads_output();
  p.backward_ignores_inputs();
  forward_ = p.op(fwd_pd, {{DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_DST, dst}});
  if (!p.needs_diff_input(0)) return;
  auto bwd_pd = dnnl::eltwise_backward::primitive_desc(p.engine(), alg, md, md, md, 0.f, 0.f, fwd_pd, p.attr());
  backward_ = p.op(bwd_pd, {{DNNL_ARG_DST, dst}, {DNNL_ARG_DIFF_DST, p.diff_output()},
                            {DNNL_ARG_DIFF_SRC, p.diff_input(0)}});
}

}  // namespace dnntrain::layers
