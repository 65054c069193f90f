// The trainer loop: steps with a finite-loss check and epochs with a resume position.
#include "engine/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// True when every value is finite: x * 0 is 0 for finite x and NaN for NaN or an infinity.
bool all_finite(const float* x, size_t n) {
  float probe = 0;
#pragma omp simd reduction(+ : probe)
  for (size_t i = 0; i < n; ++i) probe += x[i] * 0.f;
  return probe == 0;
}

}  // namespace

Trainer::Trainer(Graph& graph, LossReadout loss, Optimizer& optimizer, LrSchedule schedule,
                 TrainingState& state)
    : graph_(graph),
      loss_(std::move(loss)),
      optimizer_(optimizer),
      schedule_(std::move(schedule)),
      state_(state),
      parameters_(graph.parameters()),
      dominant_(static_cast<size_t>(graph.batch())) {
  DNNTRAIN_CHECK(loss_.loss && loss_.log_probs && loss_.classes > 0, "trainer: incomplete loss readout");
}

StepStats Trainer::step(const BatchRef& batch, int64_t steps_per_epoch) {
  DNNTRAIN_CHECK(batch.n == graph_.batch(),
                 fmt::format("trainer: a training batch has {} samples, the model was planned for {}",
                             batch.n, graph_.batch()));
  StepStats s;
  s.lr = schedule_.at_step(state_.step, steps_per_epoch);
  graph_.forward(Mode::train, batch.images, batch.labels, batch.mix_labels, batch.mix_lambda);
  s.loss = loss_.loss();
  if (!std::isfinite(s.loss))
    throw Error(
        fmt::format("step {} (epoch {}, batch {}): the loss is {}; stopped before updating the weights "
                    "(lower --lr, or check the data); the last checkpoint is untouched",
                    state_.step + 1, state_.epoch + 1, state_.batch_in_epoch + 1, s.loss));
  // A mixed batch counts against each row's heavier label (torchvision: the soft target's argmax).
  const int32_t* top1_labels = batch.labels;
  if (batch.mix_labels) {
    for (int i = 0; i < batch.n; ++i) {
      const int32_t a = batch.labels[i], b = batch.mix_labels[i];
      dominant_[static_cast<size_t>(i)] = batch.mix_lambda > 0.5   ? a
                                          : batch.mix_lambda < 0.5 ? b
                                                                   : std::min(a, b);
    }
    top1_labels = dominant_.data();
  }
  s.correct = static_cast<int>(count_topk(loss_.log_probs(), top1_labels, batch.n, loss_.classes, 1).top1);
  s.n = batch.n;
  graph_.backward();
  if (before_update_) before_update_();
  optimizer_.step(s.lr);
  // An update that overflows leaves weights whose next losses may still look finite; it stops the
  // run here, before any log row, evaluation or checkpoint is made from them.
  for (const Parameter* p : parameters_)
    if (!all_finite(p->weight_data(), p->padded_elements()))
      throw Error(fmt::format(
          "step {} (epoch {}, batch {}): the update made '{}' NaN or infinite (lr {}); stopped before "
          "anything was written from it (lower --lr); the last checkpoint is untouched",
          state_.step + 1, state_.epoch + 1, state_.batch_in_epoch + 1, p->name, s.lr));
  state_.lr = s.lr;
  ++state_.step;
  ++state_.batch_in_epoch;
  s.step = state_.step;
  s.batch_in_epoch = state_.batch_in_epoch;
  return s;
}

EpochResult Trainer::train_epoch(BatchSource& source, const EpochControl& control) {
  EpochResult r;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t steps_per_epoch = source.batches_per_epoch();
  DNNTRAIN_CHECK(steps_per_epoch > 0,
                 fmt::format("trainer: the training set gives no full batch of {} samples; "
                             "lower --batch-size",
                             graph_.batch()));
  source.start_epoch(state_.epoch, state_.batch_in_epoch);
  BatchRef batch;
  while (true) {
    // A stop after the epoch's last batch still completes the epoch (evaluation, summary row).
    const bool last_done = state_.batch_in_epoch >= steps_per_epoch;
    if (!last_done && control.max_steps > 0 && state_.step >= control.max_steps) {
      r.end = EpochResult::End::step_limit;
      break;
    }
    if (!last_done && control.stop_requested && control.stop_requested()) {
      r.end = EpochResult::End::interrupted;
      break;
    }
    if (last_done || !source.next(batch)) {
      ++state_.epoch;
      state_.batch_in_epoch = 0;
      r.end = EpochResult::End::completed;
      break;
    }
    const StepStats s = step(batch, steps_per_epoch);
    r.loss_sum += s.loss;
    r.correct += s.correct;
    r.samples += s.n;
    ++r.steps;
    if (control.on_step) control.on_step(s);
  }
  r.seconds = seconds_since(t0);
  r.wait_seconds = source.wait_seconds();
  return r;
}

}  // namespace dnntrain::engine
