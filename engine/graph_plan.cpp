// Graph::plan(): plans each layer in order, decides which tensors need gradients, adds the
// fan-out gradient sums, lays out the arenas by liveness and binds every memory to its place.
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/graph.hpp"
#include "engine/graph_state.hpp"
#include "engine/memory_plan.hpp"
#include "engine/planner.hpp"

namespace dnntrain::engine {

namespace {

constexpr size_t kAlignment = 64;

void plan_node(GraphState& s, int n) {
  NodeState& node = s.nodes[n];
  node.diff_slots.assign(node.inputs.size(), dnnl::memory());
  node.slot_regions.assign(node.inputs.size(), -1);
  node.backward_reads_input.assign(node.inputs.size(), true);
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    TensorState& t = s.tensors[node.inputs[i]];
    if (!t.needs_diff) continue;
    if (t.consumers.front() == std::make_pair(n, static_cast<int>(i))) {
      node.diff_slots[i] = t.diff;
      node.slot_regions[i] = t.diff_region;
    } else {
      node.slot_regions[i] = s.new_region(Arena::transient, t.md.get_size());
      node.diff_slots[i] = s.view(node.slot_regions[i], t.md);
    }
  }
  Planner planner(s, n);
  node.layer->plan(planner);

  bool any_input_diff = false;
  for (int in : node.inputs) any_input_diff = any_input_diff || s.tensors[in].needs_diff;
  const bool makes_gradients = any_input_diff || !node.params.empty();
  if (node.output >= 0) {
    TensorState& out = s.tensors[node.output];
    DNNTRAIN_CHECK(out.declared, fmt::format("layer {} did not declare its output", node.layer->name()));
    DNNTRAIN_CHECK(!out.consumers.empty(),
                   fmt::format("the output of layer {} is used by no layer; end the graph with a loss",
                               node.layer->name()));
    out.needs_diff = makes_gradients;
    node.runs_backward = makes_gradients;
  } else {
    node.runs_backward = any_input_diff;
  }
}

// A forward value lives from its producer's forward to the last forward that reads it, or to the
// last backward that does (a consumer whose backward reads it, or a producer that reads its own
// output). In-place outputs share their input's region, whose interval covers both.
void mark_value_liveness(GraphState& s) {
  for (size_t ti = 1; ti < s.tensors.size(); ++ti) {
    const TensorState& t = s.tensors[ti];
    Region& r = s.regions[s.root(t.value_region)];
    r.touch(s.forward_time(t.producer));
    if (t.producer_reads_output) r.touch(s.backward_time(t.producer));
    for (const auto& [c, slot] : t.consumers) {
      r.touch(s.forward_time(c));
      if (s.nodes[c].runs_backward && s.nodes[c].backward_reads_input[slot]) r.touch(s.backward_time(c));
    }
  }
}

// Liveness of gradient buffers: written by a consumer's backward, read by the producer's.
void mark_gradient_liveness(GraphState& s) {
  const int end = s.end_time();
  for (size_t ti = 0; ti < s.tensors.size(); ++ti) {
    TensorState& t = s.tensors[ti];
    if (!t.needs_diff) continue;
    const int read_at = t.producer >= 0 ? s.backward_time(t.producer) : end;
    std::vector<dnnl::memory> sources;
    for (const auto& [c, slot] : t.consumers) {
      const NodeState& consumer = s.nodes[c];
      Region& r = s.regions[s.root(consumer.slot_regions[slot])];
      r.touch(s.backward_time(c));
      r.touch(read_at);
      sources.push_back(consumer.diff_slots[slot]);
    }
    if (sources.size() < 2) continue;
    // In place: the first consumer's slot is the tensor's gradient, and each other slot is added
    // into it in consumer order by a binary add (oneDNN 3.2's `sum` of two tensors, simple:any,
    // took twice as long). The graph input's sums are planned as if by the first node.
    Planner planner(s, t.producer >= 0 ? t.producer : 0);
    const auto pd =
        dnnl::binary::primitive_desc(s.context.engine(), dnnl::algorithm::binary_add, t.md, t.md, t.md, planner.attr());
    std::vector<Op>& sums = t.producer >= 0 ? s.nodes[t.producer].sums_before_backward : s.input_sums;
    for (size_t k = 1; k < sources.size(); ++k)
      sums.push_back(planner.op(pd, {{DNNL_ARG_SRC_0, t.diff}, {DNNL_ARG_SRC_1, sources[k]}, {DNNL_ARG_DST, t.diff}}));
    if (t.producer >= 0)
      s.nodes[t.producer].notes.push_back(fmt::format("gradient sum of {} consumers", sources.size()));
  }
}

size_t bind_arena(GraphState& s, Arena arena, size_t* unshared = nullptr) {
  std::vector<int> ids;
  std::vector<LiveBuffer> live;
  for (size_t r = 0; r < s.regions.size(); ++r) {
    const Region& region = s.regions[r];
    if (region.arena != arena || region.merged_into >= 0 || region.bytes == 0) continue;
    if (arena == Arena::transient && region.first > region.last) continue;  // never used
    ids.push_back(static_cast<int>(r));
    live.push_back(arena == Arena::transient ? LiveBuffer{region.bytes, region.first, region.last}
                                             : LiveBuffer{region.bytes, 0, 0});
  }
  ArenaLayout layout = lay_out(live, kAlignment);
  if (unshared)
    for (const LiveBuffer& b : live) *unshared += b.bytes;
  if (layout.total == 0) return 0;
  void* base = std::aligned_alloc(kAlignment, layout.total);
  DNNTRAIN_CHECK(base, fmt::format("out of memory: could not allocate {} bytes for the graph", layout.total));
  std::memset(base, 0, layout.total);  // blocked layouts' padding must start (and stay) zero
  s.arena_storage.push_back(static_cast<float*>(base));
  for (size_t k = 0; k < ids.size(); ++k) {
    Region& region = s.regions[ids[k]];
    region.offset = layout.offsets[k];
    for (dnnl::memory& m : region.views) m.set_data_handle(static_cast<char*>(base) + region.offset);
  }
  return layout.total;
}

}  // namespace

void plan_graph(GraphState& s) {
  DNNTRAIN_CHECK(!s.planned, "the graph is already planned");
  DNNTRAIN_CHECK(!s.tensors.empty(), "the graph has no input: call input() first");
  DNNTRAIN_CHECK(!s.nodes.empty(), "the graph has no layers");
  s.scratch_region = s.new_region(Arena::scratchpad, 0);
  s.tensors[0].needs_diff = s.options.input_gradient && !s.tensors[0].consumers.empty();
  if (s.tensors[0].needs_diff) {
    s.tensors[0].diff_region = s.new_region(Arena::transient, s.tensors[0].md.get_size());
    s.tensors[0].diff = s.view(s.tensors[0].diff_region, s.tensors[0].md);
  }
  for (size_t n = 0; n < s.nodes.size(); ++n) plan_node(s, static_cast<int>(n));
  mark_value_liveness(s);
  mark_gradient_liveness(s);

  MemoryReport& m = s.report;
  m.transient = bind_arena(s, Arena::transient, &m.transient_unshared);
  m.persistent = bind_arena(s, Arena::persistent);
  m.weights = bind_arena(s, Arena::weights);
  m.grads = bind_arena(s, Arena::grads);
  m.scratchpad = bind_arena(s, Arena::scratchpad);
  for (const Buffer& b : s.buffers) b.reset();
  s.planned = true;
}

}  // namespace dnntrain::engine
