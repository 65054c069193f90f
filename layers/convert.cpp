// Convert: two reorders between data types.
#include "layers/convert.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"
#include "engine/precision.hpp"

namespace dnntrain::layers {

void Convert::plan(engine::Planner& p) {
  const dnnl::memory::desc& in = p.input_desc(0);
  DNNTRAIN_CHECK(!options_.nhwc || in.get_ndims() == 4,
                 fmt::format("convert {}: nhwc asked for a tensor of {} dimensions", name(), in.get_ndims()));
  const dnnl::memory& out = p.output(options_.nhwc ? dnnl::memory::desc(in.get_dims(), options_.to,
                                                                         dnnl::memory::format_tag::nhwc)
                                                   : engine::with_data_type(in, options_.to));
  p.backward_ignores_inputs();
  forward_ = p.reorder(p.input(0), out);
  if (p.needs_diff_input(0)) backward_ = p.reorder(p.diff_output(), p.diff_input(0));
}

}  // namespace dnntrain::layers
