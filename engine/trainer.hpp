// The trainer loop (docs/architecture.md, "One training step"): batches from a BatchSource, one
// forward/backward/optimizer step per batch at the schedule's rate, a NaN/Inf check on every loss.
// Evaluation is engine/evaluate.hpp's, apart from training. Knows nothing of data/ or of ResNets:
// apps/ adapts the pipeline and the loss.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/batch_source.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/evaluate.hpp"
#include "engine/graph.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"

namespace dnntrain::engine {

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

class Trainer {
 public:
  // requires: `optimizer` built over graph.parameters(); all references outlive the trainer.
  Trainer(Graph& graph, LossReadout loss, Optimizer& optimizer, LrSchedule schedule, TrainingState& state);

  // One step on a full batch at lr = schedule.at_step(state.step, steps_per_epoch); advances
  // state.step and state.batch_in_epoch.
  // throws: dnntrain::Error naming the step when the loss is NaN or infinite (before any update),
  //         or when the update made a weight NaN or infinite (before the state advances).
  StepStats step(const BatchRef& batch, int64_t steps_per_epoch);

  // The rest of epoch state.epoch from batch state.batch_in_epoch; on completion state.epoch is
  // advanced and state.batch_in_epoch reset, so the state is what a checkpoint must hold.
  EpochResult train_epoch(BatchSource& source, const EpochControl& control);

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
  std::vector<Parameter*> parameters_;  // checked for non-finite weights after every update
  std::function<void()> before_update_;
  std::vector<int32_t> dominant_;  // [batch] a mixed batch's heavier label per row (train top-1)
};

}  // namespace dnntrain::engine
