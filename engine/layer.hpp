// The layer contract: planned once, executed many times (docs/architecture.md, "The layer contract").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <dnnl.hpp>

namespace dnntrain::engine {

class Planner;

enum class Mode { train, eval };

// What a layer sees while a step executes. Built by the graph; nothing in it allocates.
struct Step {
  dnnl::stream& stream;
  Mode mode;
  const int32_t* labels;  // [N] class indices of the current batch (read by loss layers only)
  int batch;              // N
  double* primitive_ms = nullptr;  // when profiling: time spent inside oneDNN primitives is added here
  const int32_t* mix_labels = nullptr;  // [N] second labels of a mixed batch (MixUp/CutMix), or nullptr
  double mix_lambda = 1;                // weight of `labels`; 1 - mix_lambda is that of `mix_labels`
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // requires: the planner's inputs have their final descs.
  // ensures: every primitive the layer will run is created, with its arguments bound to planner
  //          memories; the output desc is declared (unless the layer is a sink such as a loss).
  virtual void plan(Planner& planner) = 0;
  // requires: inputs hold this step's values. ensures: output (and saved tensors) written.
  // Eval mode may run other primitives (e.g. BN with global statistics) but the same buffers.
  virtual void forward(Step& step) = 0;
  // requires: forward(train) ran this step, diff_output holds d(loss)/d(output).
  // ensures: diff_input(i) is assigned (not accumulated) for every input that needs it, and every
  //          parameter gradient is assigned.
  virtual void backward(Step& step) = 0;
  // The torchvision-style module path, e.g. "layer1.0.conv1".
  std::string_view name() const { return name_; }
  // A sink (a loss) declares no output; the graph's backward pass starts at it.
  virtual bool is_sink() const { return false; }
  // Floating-point operations of one forward pass, for bench's per-layer table (0 if negligible).
  virtual double forward_flops() const { return 0; }
  // The same for one backward pass (gradients of the inputs that need one, and of the weights).
  virtual double backward_flops() const { return 0; }

 private:
  std::string name_;
};

}  // namespace dnntrain::engine
