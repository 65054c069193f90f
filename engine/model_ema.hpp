// An exponential moving average of a model's parameters and buffers, as torchvision's
// ExponentialMovingAverage (an AveragedModel with use_buffers=True) that its classification
// reference drives: avg = decay·avg + (1 - decay)·value after every `steps` optimizer steps, the
// first update (n_averaged = 0) a copy. Kept in each tensor's own (blocked) layout; every buffer is
// allocated here, once, so an update allocates nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/parameter.hpp"

namespace dnntrain::engine {

// torchvision's decay adjustment: alpha = min(1, (1 - decay) · world·batch·steps / epochs), and the
// EMA runs at 1 - alpha.
double adjusted_ema_decay(double decay, int64_t world_size, int64_t batch, int64_t steps, int64_t epochs);

class ModelEma {
 public:
  // Copies every parameter and buffer now (AveragedModel deep-copies the model). n_averaged = 0.
  // requires: the tensors outlive this object; decay in [0, 1].
  ModelEma(const std::vector<Parameter*>& parameters, const std::vector<Buffer*>& buffers, double decay);

  // AveragedModel.update_parameters: with n_averaged = 0 a copy of the model, else, in float32 as
  // torch, avg = float(decay)·avg + float(1 - decay)·value (i64 buffers converted to float and
  // truncated back); then n_averaged += 1.
  void update();
  // n_averaged.fill_(0): the next update copies (torchvision during warmup epochs).
  void reset() { n_averaged_.i64() = 0; }
  // Copies the model into the average without counting an update (after --init loads weights).
  void copy_from_model();
  int64_t n_averaged() const { return n_averaged_.i64(); }
  double decay() const { return decay_; }

  // Exchanges the model's values with the averages (bf16 working copies rewritten): after one call
  // the model holds the EMA, after a second its own weights again. For evaluating the EMA in place.
  void swap_with_model();

  // The averages seen as parameters and buffers named `prefix` + the model's names, for
  // save_checkpoint and resume_checkpoint. a non-empty `count_name` adds n_averaged under that name
  // (an i64 scalar). The pointers stay valid until the next call of the same function.
  std::vector<Parameter*> parameters(const std::string& prefix);
  std::vector<Buffer*> buffers(const std::string& prefix, const std::string& count_name = "");

 private:
  std::vector<Parameter*> model_parameters_;
  std::vector<Buffer*> model_buffers_;
  std::vector<dnnl::memory> weights_, buffer_values_;  // same descs as the model's
  Buffer n_averaged_;
  double decay_;
  std::vector<Parameter> parameter_views_;
  std::vector<Buffer> buffer_views_;
  std::vector<Parameter*> parameter_ptrs_;
  std::vector<Buffer*> buffer_ptrs_;
};

}  // namespace dnntrain::engine
