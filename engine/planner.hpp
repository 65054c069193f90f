// What a layer may ask of the graph while it plans: its inputs' descriptors, memories for its
// output, saved and persistent tensors, parameters, and primitives bound to those memories.
// Every memory handed out here is bound to its arena by the graph after all layers have planned.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

#include "engine/op.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::engine {

struct GraphState;

class Planner {
 public:
  Planner(GraphState& state, int node) : state_(state), node_(node) {}

  const dnnl::engine& engine() const;
  int batch() const;                       // N of the graph input
  bool inference() const;                  // GraphOptions::inference: eval-mode forwards only
  int num_inputs() const;
  const dnnl::memory::desc& input_desc(int i) const;
  const dnnl::memory& input(int i) const;  // this step's value of input i
  // True when backward must write d(loss)/d(input i); when false, diff_input(i) must not be used.
  bool needs_diff_input(int i) const;
  const dnnl::memory& diff_input(int i) const;

  // Declares the output. The desc is final: consumers plan against it.
  const dnnl::memory& output(const dnnl::memory::desc& md);
  // Whether output_in_place(i) is allowed (see there).
  bool can_output_in_place(int i) const;
  // The output reuses input i's buffer (e.g. a residual add written over one of its summands).
  // Allowed when this layer is input i's only consumer and its producer does not read it back.
  const dnnl::memory& output_in_place(int i);
  const dnnl::memory& diff_output();       // d(loss)/d(output); call after output()
  // Declare that backward reads this layer's own output (so no later layer may overwrite it).
  void backward_reads_output();
  // Backward writes the same gradient for input j as for input i: one buffer serves both.
  void share_diff_input(int j, int i);

  // Declare that backward reads none of the layer's inputs (e.g. max pooling, which keeps a
  // workspace), so their memory can be reused once the forward pass is past them.
  void backward_ignores_inputs();
  dnnl::memory saved(const dnnl::memory::desc& md);       // written in forward, read in backward
  dnnl::memory backward_temporary(const dnnl::memory::desc& md);  // used only inside backward
  dnnl::memory persistent(const dnnl::memory::desc& md);  // lives across steps, layer-owned
  Parameter& parameter(const std::string& suffix, std::vector<int64_t> shape,
                       const dnnl::memory::desc& plain_md, const dnnl::memory::desc& md, Init init,
                       Parameter::Role role);
  // A bf16 working copy of `p` in `md` (bf16, p's dimensions) for a bf16 primitive to read,
  // written from p.weight by the optimizer's fused pass (engine/parameter.hpp, WorkingCopy).
  dnnl::memory working_copy(Parameter& p, const dnnl::memory::desc& md);
  // Named state saved with the model, in the persistent arena like persistent(): every f32 element
  // starts at `initial` after plan() and after Graph::initialize.
  Buffer& buffer(const std::string& suffix, std::vector<int64_t> shape, Buffer::Type type,
                 float initial = 0.f);

  // Fresh attributes every primitive descriptor must be created with (user-mode scratchpad).
  // A new object each call: dnnl::primitive_attr copies share one handle, so a layer that adds
  // post-ops must not change what others get.
  dnnl::primitive_attr attr() const;
  // Creates the primitive (counted) and binds its arguments, adding the shared scratchpad.
  Op op(const dnnl::primitive_desc_base& pd, std::unordered_map<int, dnnl::memory> args);
  Op reorder(const dnnl::memory& from, const dnnl::memory& to);
  // Records a kernel choice for the printed plan, e.g. "fwd jit:avx512_core".
  void note(const std::string& what);

 private:
  GraphState& state_;
  int node_;
};

}  // namespace dnntrain::engine
