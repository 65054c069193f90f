// Training: a ResNet planned for one batch size, an optimizer, and the calls of a training step.
// Calls out of order (forward before initialize, backward after an eval forward, step without
// backward) and inputs of the wrong size throw a dnntrain::Error naming the misuse.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dnntrain/evaluation.hpp"
#include "dnntrain/model_spec.hpp"
#include "dnntrain/predictor.hpp"

namespace dnntrain {

struct TrainerOptions {
  int batch = 32;   // images per training step
  int threads = 0;  // compute threads; 0: OpenMP's default (all cores)
  // torch.optim's semantics: "sgd", "adam" or "adamw".
  std::string optimizer = "sgd";
  double lr = 0.1;
  double momentum = 0;  // SGD
  double weight_decay = 0;
  float label_smoothing = 0.f;
  // Refuse NaN or infinite images with a dnntrain::Error naming the first one, before they reach
  // the weights (one pass over the batch; see docs/architecture.md, "The public library").
  bool check_finite_input = true;
};

class Trainer {
 public:
  Trainer(const ModelSpec& spec, const TrainerOptions& options = {});
  ~Trainer();
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;

  // One of these three comes first. initialize draws the initial weights from `seed`;
  // load_weights reads model weights (and batch-norm statistics) from a safetensors file, e.g. to
  // fine-tune (keys starting with a skipped prefix, e.g. "fc.", keep their drawn values: call
  // initialize first); resume restores weights, optimizer state and step count from
  // save_checkpoint's file, so that training continues as if never stopped.
  void initialize(uint64_t seed);
  void load_weights(const std::string& path, const std::vector<std::string>& skip_prefixes = {});
  void resume(const std::string& path);

  // The three calls of a step: a training-mode forward (returns the batch's mean loss), the
  // gradients of that forward, and one optimizer update at lr().
  // images: batch × spec.image_elements() floats (NCHW); labels: batch values in [0, classes).
  double forward(std::span<const float> images, std::span<const int32_t> labels);
  void backward();
  void step();
  // forward, backward and step; returns the loss.
  double train_step(std::span<const float> images, std::span<const int32_t> labels);

  // Eval-mode forwards over labelled images of any count (batch-norm running statistics, which
  // stay unchanged); the last partial batch is padded.
  Evaluation evaluate(std::span<const float> images, std::span<const int32_t> labels);

  // The model's weights only (torchvision's state_dict keys; PyTorch's load_state_dict reads it).
  void save_weights(const std::string& path) const;
  // The weights, the optimizer state and the step count, for resume().
  void save_checkpoint(const std::string& path) const;
  // A predictor holding a copy of the current weights.
  Predictor predictor(const PredictorOptions& options = {}) const;

  double lr() const;
  void set_lr(double lr);
  int64_t steps() const;  // optimizer updates done (restored by resume)
  const ModelSpec& spec() const;
  const TrainerOptions& options() const;

 private:
  struct State;
  State& checked(const char* call) const;  // throws on a moved-from trainer
  std::unique_ptr<State> state_;
};

}  // namespace dnntrain
