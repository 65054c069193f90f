// The trainer loop (docs/architecture.md, "One training step"): batches from a BatchSource, one
// forward/backward/optimizer step per batch at the schedule's rate, a NaN/Inf check on every loss,
// and evaluation (loss, top-1, top-5, confusion matrix). Knows nothing of data/ or of ResNets:
// apps/ adapts the pipeline and the loss.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/graph.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"

namespace dnntrain::engine {

// One batch as the trainer reads it: NCHW f32 plain images and labels, n <= the planned batch.
struct BatchRef {
  const float* images = nullptr;    // [n, C, H, W]
  const int32_t* labels = nullptr;  // [n]
  int n = 0;
};

// What the trainer pulls batches from; data/'s pipeline implements it through an adapter in apps/.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Begins epoch `epoch` at batch `first_batch` (resume skips the batches already consumed; the
  // batches are a pure function of (seed, epoch, batch index)).
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;
  // ensures: true and `batch` valid until the next call, or false at the end of the epoch.
  virtual bool next(BatchRef& batch) = 0;
  virtual int64_t batches_per_epoch() const = 0;
  // Seconds next() spent waiting for or building batches since start_epoch.
  virtual double wait_seconds() const { return 0; }
};

// How the trainer reads the loss layer at the end of the graph.
struct LossReadout {
  std::function<double()> loss;             // mean loss of the last forward over the planned batch
  std::function<const float*()> log_probs;  // [planned batch, classes] row-major, last forward
  int classes = 0;
};

struct StepStats {
  int64_t step = 0;  // 1-based: the optimizer steps done after this one
  int64_t batch_in_epoch = 0;
  double loss = 0, lr = 0;
  int correct = 0, n = 0;  // top-1 on the training batch
};

struct EpochControl {
  // Stop once state.step reaches it (0: no limit); a stop at an epoch's last batch completes the epoch.
  int64_t max_steps = 0;
  std::function<bool()> stop_requested;  // polled before each step (e.g. SIGINT)
  std::function<void(const StepStats&)> on_step;
};

struct EpochResult {
  enum class End { completed, step_limit, interrupted } end = End::completed;
  double loss_sum = 0;  // over this run's steps of the epoch (a resumed epoch counts only its own)
  int64_t correct = 0, samples = 0, steps = 0;
  double seconds = 0, wait_seconds = 0;
};

struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;  // loss: mean cross-entropy; top-k: fractions in [0, 1]
  int64_t samples = 0;
  int classes = 0;
  std::vector<int64_t> confusion;  // [true class][predicted class], classes × classes
};

class Trainer {
 public:
  // requires: `optimizer` built over graph.parameters(); all references outlive the trainer.
  Trainer(Graph& graph, LossReadout loss, Optimizer& optimizer, LrSchedule schedule, TrainingState& state);

  // One step on a full batch at lr = schedule.at_step(state.step, steps_per_epoch); advances
  // state.step and state.batch_in_epoch.
  // throws: dnntrain::Error naming the step when the loss is NaN or infinite (before any update).
  StepStats step(const BatchRef& batch, int64_t steps_per_epoch);

  // The rest of epoch state.epoch from batch state.batch_in_epoch; on completion state.epoch is
  // advanced and state.batch_in_epoch reset, so the state is what a checkpoint must hold.
  EpochResult train_epoch(BatchSource& source, const EpochControl& control);

  // Evaluation over a whole epoch of `source` (a last partial batch is padded to the planned size
  // and only its valid rows counted). Eval mode: BN normalises with its running statistics and
  // leaves them unchanged.
  EvalResult evaluate(BatchSource& source);

  const LrSchedule& schedule() const { return schedule_; }
  // Called in step() between backward and the optimizer update (data-parallel training averages
  // the gradients there); empty: nothing.
  void set_before_update(std::function<void()> hook) { before_update_ = std::move(hook); }

 private:
  Graph& graph_;
  LossReadout loss_;
  Optimizer& optimizer_;
  LrSchedule schedule_;
  TrainingState& state_;
  std::function<void()> before_update_;
  std::vector<float> padded_images_;  // [planned batch, C, H, W], for partial eval batches
  std::vector<int32_t> padded_labels_;
};

// Top-1 and top-k hits of rows [0, n) of log_probs against labels (ties favour the label).
struct TopK {
  int64_t top1 = 0, topk = 0;
};
TopK count_topk(const float* log_probs, const int32_t* labels, int n, int classes, int k);

}  // namespace dnntrain::engine
