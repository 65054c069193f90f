// The graph's internal state, shared by graph.cpp (structure, execution) and planner.cpp
// (what layers ask for while planning). Not part of the public interface.
#pragma once

#include <climits>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "engine/context.hpp"
#include "engine/graph.hpp"
#include "engine/layer.hpp"
#include "engine/op.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::engine {

// transient: forward outputs, tensors kept for backward and activation gradients, all placed by
// liveness on one timeline (forward of node k at time k, its backward at 2n-1-k), so memory an
// activation frees in backward serves the gradients.
enum class Arena { transient, persistent, weights, grads, scratchpad };

// A stretch of one arena; every memory in `views` points at its start.
struct Region {
  Arena arena = Arena::transient;
  size_t bytes = 0;
  int first = INT_MAX, last = INT_MIN;  // liveness on the step's timeline (transient arena only)
  int merged_into = -1;                 // >= 0: this region now lives in that one
  size_t offset = 0;
  std::vector<dnnl::memory> views;
  void touch(int t) {
    first = std::min(first, t);
    last = std::max(last, t);
  }
};

struct TensorState {
  dnnl::memory::desc md;
  int producer = -1;                           // node index; -1 for the graph input
  std::vector<std::pair<int, int>> consumers;  // (node, input slot)
  dnnl::memory value, diff;
  int value_region = -1, diff_region = -1;
  bool declared = false;
  bool needs_diff = false;
  bool producer_reads_output = false;
};

struct NodeState {
  std::unique_ptr<Layer> layer;
  std::vector<int> inputs;
  int output = -1;
  std::vector<dnnl::memory> diff_slots;  // per input: where backward writes its gradient
  std::vector<int> slot_regions;
  std::vector<int> params;  // indices into GraphState::parameters
  bool runs_backward = false;
  std::vector<Op> sums_before_backward;  // fan-out gradient sums for this node's output
  std::vector<std::string> notes;
  std::vector<bool> backward_reads_input;  // per input; default true (conservative)
};

struct GraphState {
  explicit GraphState(Context& c, GraphOptions o) : context(c), options(o) {}

  Context& context;
  GraphOptions options;
  std::vector<TensorState> tensors;
  std::vector<NodeState> nodes;
  std::vector<Region> regions;
  std::deque<Parameter> parameters;
  std::deque<Buffer> buffers;
  int scratch_region = -1;
  size_t primitives = 0;
  bool planned = false;
  std::vector<Op> input_sums;  // fan-out gradient sums of the graph input (input_gradient only)
  std::vector<float*> arena_storage;  // freed in ~GraphState
  MemoryReport report;
  std::function<void(Parameter&)> on_gradient_ready;
  bool profiling = false;
  std::vector<LayerTime> times;

  ~GraphState();
  int new_region(Arena arena, size_t bytes);
  int root(int region) const;
  dnnl::memory view(int region, const dnnl::memory::desc& md);
  void merge(int keep, int drop);
  int forward_time(int node) const { return node; }
  int backward_time(int node) const { return 2 * static_cast<int>(nodes.size()) - 1 - node; }
  int end_time() const { return 2 * static_cast<int>(nodes.size()); }
};

// Graph::plan() (graph_plan.cpp): plans every layer, then lays out and binds every arena.
void plan_graph(GraphState& s);

}  // namespace dnntrain::engine
