// Convert: two reorders between data types.
#include "layers/convert.hpp"

#include "engine/planner.hpp"
#include "engine/precision.hpp"

namespace dnntrain::layers {

void Convert::plan(engine::Planner& p) {
  const dnnl::memory& out = p.output(engine::with_data_type(p.input_desc(0), options_.to));
  p.backward_ignores_inputs();
  forward_ = p.reorder(p.input(0), out);
  if (p.needs_diff_input(0)) backward_ = p.reorder(p.diff_output(), p.diff_input(0));
}

}  // namespace dnntrain::layers
