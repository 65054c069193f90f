// The static training graph: layers added in order with named edges, planned once, then executed.
// plan() creates every primitive descriptor, primitive and reorder and lays out all memory;
// forward() and backward() only execute (docs/architecture.md, "One training step").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <dnnl.hpp>

#include "engine/context.hpp"
#include "engine/layer.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::engine {

struct GraphState;

struct TensorId {
  int index = -1;
  bool valid() const { return index >= 0; }
};

struct GraphOptions {
  bool input_gradient = false;  // compute d(loss)/d(input) (tests; adversarial uses)
  // Planned for eval-mode forwards only (dnntrain::Predictor): backward() and train-mode forwards
  // are refused, so a layer may accept shapes only training rejects (batch norm at one value per
  // channel, e.g. ResNet-18 at 32 px with batch 1).
  bool inference = false;
};

// Bytes per arena after plan(); bench reports them.
struct MemoryReport {
  size_t transient = 0;    // forward outputs, tensors kept for backward, activation gradients
  size_t transient_unshared = 0;  // what they would take without reuse by liveness
  size_t persistent = 0;   // layer-owned state that lives across steps
  size_t weights = 0;
  size_t grads = 0;
  size_t scratchpad = 0;
  size_t total() const { return transient + persistent + weights + grads + scratchpad; }
};

// Per-layer wall time, filled when profiling is on (each layer then waits for the stream), and
// the part of it spent inside oneDNN primitives; the rest is the engine's own overhead (and the
// host loops some layers run, e.g. the loss or BN's running statistics).
struct LayerTime {
  std::string name;
  double forward_ms = 0, backward_ms = 0;
  double forward_primitive_ms = 0, backward_primitive_ms = 0;
  double forward_flops = 0, backward_flops = 0;
  // Bytes of the tensors a pass reads and writes, each counted once (a lower bound of its memory
  // traffic): forward reads the inputs and the weights (bf16: the working copy) and writes the
  // output; backward reads the output's gradient, the inputs and the weights and writes the
  // inputs' gradients and the weights' gradients.
  double forward_bytes = 0, backward_bytes = 0;
  bool bf16 = false;  // the layer's output is bf16: its rates compare with the bf16 peak
};

class Graph {
 public:
  explicit Graph(Context& context, GraphOptions options = {});
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // The batch input, NCHW f32 plain.
  TensorId input(dnnl::memory::dims nchw);
  // Appends a layer consuming `inputs`; returns its output (invalid for a sink such as a loss).
  TensorId add(std::unique_ptr<Layer> layer, std::vector<TensorId> inputs);
  // The same for a layer L(name, options), its options given with designated initializers:
  //   TensorId y = g.add<Conv2d>("conv1", {x}, {.in_channels = 3, .out_channels = 64, .kernel = 7});
  template <class L>
  TensorId add(std::string name, std::vector<TensorId> inputs, typename L::Options options) {
    return add(std::make_unique<L>(std::move(name), std::move(options)), std::move(inputs));
  }
  // A layer with default options, or one that takes none (L(name)).
  template <class L>
  TensorId add(std::string name, std::vector<TensorId> inputs) {
    if constexpr (requires { typename L::Options; })
      return add<L>(std::move(name), std::move(inputs), typename L::Options{});
    else
      return add(std::make_unique<L>(std::move(name)), std::move(inputs));
  }
  // The layer added under `name`, as an L (throws if there is none, or it is not an L).
  template <class L>
  L& layer(std::string_view name) {
    L* l = dynamic_cast<L*>(&layer(name));
    if (!l) throw_not_a(name, typeid(L).name());
    return *l;
  }
  Layer& layer(std::string_view name);

  // Plans every layer, lays out and allocates every arena, binds every memory.
  void plan();
  bool planned() const;
  // Fills parameters by their init rule (in the plain layout, reordered once) and resets buffers.
  void initialize(uint64_t seed);

  // images: [N, C, H, W] f32 plain, read in place (not copied); labels: [N].
  void forward(Mode mode, const float* images, const int32_t* labels, const int32_t* mix_labels = nullptr,
               double mix_lambda = 1);
  // Backward of the last forward(train); gradient-ready callbacks fire as gradients complete.
  void backward();
  void on_gradient_ready(std::function<void(Parameter&)> callback);

  std::vector<Parameter*> parameters();
  std::vector<Buffer*> buffers();
  const dnnl::memory& value(TensorId t) const;
  // A tensor's value and gradient live in the transient arena, placed by liveness: read a value
  // right after forward() and a gradient right after backward(); the next pass reuses the memory.
  const dnnl::memory& diff(TensorId t) const;  // empty memory when t needs no gradient
  dnnl::memory::dims input_dims() const;
  int batch() const;
  Context& context();

  MemoryReport memory_report() const;
  size_t primitives_created() const;
  // One line per layer: name, output desc, kernels chosen, reorders planned.
  std::string describe() const;

  void set_profiling(bool on);
  const std::vector<LayerTime>& layer_times() const;

 private:
  [[noreturn]] static void throw_not_a(std::string_view name, const char* type);
  std::unique_ptr<GraphState> state_;
};

}  // namespace dnntrain::engine
