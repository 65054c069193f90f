// The eval-mode network as a plan of its own, a sibling of Graph that only runs forward: convolutions
// whose weights already hold their batch norm, with ReLU and the residual sum as oneDNN post-ops, a
// max pool, and a global average pool with the classifier; every activation in one arena placed by
// liveness over the forward pass alone (docs/architecture.md, "The inference plan").
#pragma once

#include <cstddef>
#include <dnnl.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/graph.hpp"
#include "engine/op.hpp"
#include "engine/precision.hpp"

namespace dnntrain::engine {

// How a convolution adds its shortcut: a sum post-op writing over the shortcut's own buffer (no
// new buffer), or a binary add post-op reading it into a fresh output.
enum class ResidualFusion { sum, binary_add };

// Bytes of the plan once finished.
struct InferenceMemory {
  size_t activations = 0;           // the arena, placed by liveness
  size_t activations_unshared = 0;  // what the activations would take without reuse
  size_t weights = 0;               // weights and biases in the primitives' layouts
  size_t scratchpad = 0;
  size_t outputs = 0;  // the log-probabilities kept on the host
  size_t total() const { return activations + weights + scratchpad + outputs; }
};

// A convolution of the plan: padding on both sides, and what its post-ops add.
struct InferenceConv {
  int out_channels = 0, kernel = 1, stride = 1, padding = 0;
  TensorId residual;  // when valid: added to the output (same shape) before the ReLU
  bool relu = false;
};

class InferencePlan {
 public:
  // input_nchw: (N, C, H, W) of the f32 images. bf16: activations and convolution weights in bf16
  // (oneDNN accumulates in f32), the images converted once, the classifier in f32.
  // micro_batch: a divisor of N; the operations added before join() run once per micro-batch of
  // that many images, so that their activations stay in the caches, and the later operations run
  // once over the whole batch. 0 or N: the whole batch throughout.
  // throws: dnntrain::Error for a micro_batch that does not divide N.
  InferencePlan(Context& context, dnnl::memory::dims input_nchw, Precision precision,
                ResidualFusion residual = ResidualFusion::sum, int micro_batch = 0);
  InferencePlan(const InferencePlan&) = delete;
  InferencePlan& operator=(const InferencePlan&) = delete;

  TensorId input() const { return TensorId{0}; }
  // weights: (O, I, k, k) plain f32; bias: O values. Reordered into the primitive's layout here, so
  // the spans need not outlive the call.
  // requires: a residual is read by no later operation (its buffer becomes this output's).
  TensorId conv(const std::string& name, TensorId x, std::span<const float> weights,
                std::span<const float> bias, const InferenceConv& options);
  TensorId max_pool(const std::string& name, TensorId x, int kernel, int stride, int padding);
  // Ends the micro-batched operations: x, their result, is assembled over the micro-batches into
  // the returned whole-batch tensor, which later operations read. No earlier tensor may be read
  // after this. Without micro-batches (micro_batch() == batch()) it returns x.
  TensorId join(TensorId x);
  int micro_batch() const { return micro_batch_; }
  // Global average pool, then the linear classifier: weights (classes, C) plain, bias (classes).
  // Its output, f32 (N, classes), is the plan's logits. Call once, last, then finish().
  void classifier(const std::string& name, TensorId x, std::span<const float> weights,
                  std::span<const float> bias);
  // Lays out and allocates the arena and the scratchpad, binds every memory.
  void finish();

  // images: (N, C, H, W) f32 plain, read in place. ensures: logits() and log_probs() hold this
  // batch's values until the next forward.
  void forward(const float* images);
  const float* logits() const;     // (N, classes) row-major
  const float* log_probs() const;  // log-softmax of each row, computed in double
  int batch() const { return batch_; }
  int classes() const { return classes_; }
  Precision precision() const { return precision_; }
  InferenceMemory memory_report() const;
  // One line per operation: its name, output desc and the kernel oneDNN chose.
  std::string describe() const;

 private:
  struct Tensor {
    dnnl::memory value;
    int region = -1;  // -1: the caller's images; kJoinedSlice: a micro-batch's slice of joined_whole_
    bool overwritten = false;
  };
  struct Region {
    size_t bytes = 0;
    int first = 0, last = 0;
  };
  static constexpr int kJoinedSlice = -2;
  const Tensor& read(TensorId x, int at);
  TensorId fresh(const dnnl::memory::desc& md, int at);
  dnnl::primitive_attr attr() const;
  void add_op(const std::string& name, const dnnl::primitive_desc_base& pd,
              std::unordered_map<int, dnnl::memory> args, const dnnl::memory& output);
  dnnl::memory weights_in(const dnnl::memory::desc& md, std::span<const float> plain,
                          const dnnl::memory::dims& plain_dims, dnnl::memory::format_tag plain_tag);

  Context& context_;
  Precision precision_;
  ResidualFusion residual_;
  int batch_ = 0, classes_ = 0, micro_batch_ = 0;
  int head_ops_ = 0;          // operations that run per micro-batch (all of them before join())
  int head_tensors_ = 0;      // tensors made before join(), not readable after it
  bool joined_ = false;
  TensorId joined_whole_;     // join()'s result, when micro-batched
  size_t slice_bytes_ = 0;    // one micro-batch of it
  std::vector<dnnl::memory> slices_;  // the head's views of joined_whole_, moved per micro-batch
  std::vector<Tensor> tensors_;
  std::vector<Region> regions_;
  std::vector<Op> ops_;
  std::vector<std::string> notes_;
  std::vector<dnnl::memory> scratch_views_;
  std::vector<dnnl::memory> weights_;
  size_t scratch_bytes_ = 0, weight_bytes_ = 0, activations_ = 0;
  std::unique_ptr<void, void (*)(void*)> arena_{nullptr, nullptr}, scratch_{nullptr, nullptr};
  TensorId logits_;
  std::vector<float> log_probs_;
  bool finished_ = false;
};

}  // namespace dnntrain::engine
