// Planner: the graph's planning services, as seen by one layer.
#include "engine/planner.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/graph_state.hpp"
#include "engine/working_copy.hpp"

namespace dnntrain::engine {

namespace {

std::string layer_name(const GraphState& s, int node) {
  return std::string(s.nodes[node].layer->name());
}

}  // namespace

const dnnl::engine& Planner::engine() const { return state_.context.engine(); }

int Planner::batch() const { return static_cast<int>(state_.tensors[0].md.get_dims()[0]); }

bool Planner::inference() const { return state_.options.inference; }

int Planner::num_inputs() const { return static_cast<int>(state_.nodes[node_].inputs.size()); }

const dnnl::memory::desc& Planner::input_desc(int i) const {
  return state_.tensors[state_.nodes[node_].inputs.at(i)].md;
}

const dnnl::memory& Planner::input(int i) const {
  return state_.tensors[state_.nodes[node_].inputs.at(i)].value;
}

bool Planner::needs_diff_input(int i) const {
  return state_.tensors[state_.nodes[node_].inputs.at(i)].needs_diff;
}

const dnnl::memory& Planner::diff_input(int i) const {
  DNNTRAIN_CHECK(needs_diff_input(i), fmt::format("layer {}: input {} needs no gradient (internal "
                                                  "error: check needs_diff_input first)",
                                                  layer_name(state_, node_), i));
  return state_.nodes[node_].diff_slots.at(i);
}

const dnnl::memory& Planner::output(const dnnl::memory::desc& md) {
  NodeState& node = state_.nodes[node_];
  TensorState& t = state_.tensors.at(node.output);
  DNNTRAIN_CHECK(!t.declared, fmt::format("layer {} declared its output twice", layer_name(state_, node_)));
  t.md = md;
  t.declared = true;
  t.value_region = state_.new_region(Arena::transient, md.get_size());
  t.value = state_.view(t.value_region, md);
  t.diff_region = state_.new_region(Arena::transient, md.get_size());
  t.diff = state_.view(t.diff_region, md);
  return t.value;
}

bool Planner::can_output_in_place(int i) const {
  const TensorState& source = state_.tensors[state_.nodes[node_].inputs.at(i)];
  return source.producer >= 0 && source.consumers.size() == 1 && !source.producer_reads_output;
}

const dnnl::memory& Planner::output_in_place(int i) {
  NodeState& node = state_.nodes[node_];
  const TensorState& source = state_.tensors[node.inputs.at(i)];
  const std::string name = layer_name(state_, node_);
  DNNTRAIN_CHECK(can_output_in_place(i),
                 fmt::format("layer {}: cannot write over input {} (it is the graph input, has other "
                             "consumers, or its producer reads it in backward)", name, i));
  TensorState& t = state_.tensors.at(node.output);
  t.md = source.md;
  t.declared = true;
  t.value_region = source.value_region;
  t.value = source.value;
  t.diff_region = state_.new_region(Arena::transient, t.md.get_size());
  t.diff = state_.view(t.diff_region, t.md);
  return t.value;
}

const dnnl::memory& Planner::diff_output() {
  const TensorState& t = state_.tensors.at(state_.nodes[node_].output);
  DNNTRAIN_CHECK(t.declared, fmt::format("layer {}: diff_output() before output()", layer_name(state_, node_)));
  return t.diff;
}

void Planner::backward_reads_output() {
  state_.tensors.at(state_.nodes[node_].output).producer_reads_output = true;
}

void Planner::share_diff_input(int j, int i) {
  NodeState& node = state_.nodes[node_];
  if (!needs_diff_input(i) || !needs_diff_input(j)) return;
  DNNTRAIN_CHECK(input_desc(i) == input_desc(j),
                 fmt::format("layer {}: inputs {} and {} differ in layout; their gradients cannot "
                             "share a buffer", layer_name(state_, node_), i, j));
  state_.merge(node.slot_regions[i], node.slot_regions[j]);
  node.diff_slots[j] = node.diff_slots[i];
}

void Planner::backward_ignores_inputs() {
  NodeState& node = state_.nodes[node_];
  node.backward_reads_input.assign(node.inputs.size(), false);
}

dnnl::memory Planner::saved(const dnnl::memory::desc& md) {
  const int r = state_.new_region(Arena::transient, md.get_size());
  state_.regions[r].touch(state_.forward_time(node_));
  state_.regions[r].touch(state_.backward_time(node_));
  return state_.view(r, md);
}

dnnl::memory Planner::backward_temporary(const dnnl::memory::desc& md) {
  const int r = state_.new_region(Arena::transient, md.get_size());
  state_.regions[r].touch(state_.backward_time(node_));
  return state_.view(r, md);
}

dnnl::memory Planner::persistent(const dnnl::memory::desc& md) {
  return state_.view(state_.new_region(Arena::persistent, md.get_size()), md);
}

Parameter& Planner::parameter(const std::string& suffix, std::vector<int64_t> shape,
                              const dnnl::memory::desc& plain_md, const dnnl::memory::desc& md,
                              Init init, Parameter::Role role) {
  Parameter& p = state_.parameters.emplace_back();
  p.name = layer_name(state_, node_) + "." + suffix;
  p.shape = std::move(shape);
  p.plain_md = plain_md;
  p.init = init;
  p.role = role;
  const int w = state_.new_region(Arena::weights, md.get_size());
  const int g = state_.new_region(Arena::grads, md.get_size());
  p.weight = state_.view(w, md);
  p.grad = state_.view(g, md);
  state_.nodes[node_].params.push_back(static_cast<int>(state_.parameters.size()) - 1);
  return p;
}

dnnl::memory Planner::working_copy(Parameter& p, const dnnl::memory::desc& md) {
  for (const WorkingCopy& c : p.working)
    if (c.bf16.get_desc() == md) return c.bf16;  // one copy per layout
  const dnnl::memory view = state_.view(state_.new_region(Arena::weights, md.get_size()), md);
  p.working.push_back(make_working_copy(p.weight.get_desc(), view, engine()));
  return view;
}

Buffer& Planner::buffer(const std::string& suffix, std::vector<int64_t> shape, Buffer::Type type,
                        float initial) {
  DNNTRAIN_CHECK(type == Buffer::Type::f32 || initial == 0.f,
                 fmt::format("layer {}: an i64 buffer starts at 0", layer_name(state_, node_)));
  Buffer& b = state_.buffers.emplace_back();
  b.name = layer_name(state_, node_) + "." + suffix;
  b.value = persistent(Buffer::desc(type, shape));
  b.shape = std::move(shape);
  b.type = type;
  b.initial = initial;
  return b;
}

dnnl::primitive_attr Planner::attr() const {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

Op Planner::op(const dnnl::primitive_desc_base& pd, std::unordered_map<int, dnnl::memory> args) {
  const dnnl::memory::desc scratch_md = pd.scratchpad_desc();
  if (scratch_md.get_size() > 0) {
    Region& r = state_.regions[state_.scratch_region];
    r.bytes = std::max(r.bytes, scratch_md.get_size());
    args[DNNL_ARG_SCRATCHPAD] = state_.view(state_.scratch_region, scratch_md);
  }
  ++state_.primitives;
  return Op(dnnl::primitive(pd.get()), args);
}

Op Planner::reorder(const dnnl::memory& from, const dnnl::memory& to) {
  auto pd = dnnl::reorder::primitive_desc(engine(), from.get_desc(), engine(), to.get_desc(), attr());
  note("reorder " + std::string(pd.impl_info_str()));
  return op(pd, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

void Planner::note(const std::string& what) { state_.nodes[node_].notes.push_back(what); }

}  // namespace dnntrain::engine
