// The trainer loop: steps with a finite-loss check, epochs with a resume position, and evaluation
// with padded last batches, top-k counts and a confusion matrix.
#include "engine/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TopK count_topk(const float* log_probs, const int32_t* labels, int n, int classes, int k) {
  TopK hits;
  for (int i = 0; i < n; ++i) {
    const float* row = log_probs + static_cast<size_t>(i) * classes;
    const float mine = row[labels[i]];
    int above = 0;  // classes strictly more probable than the label
    for (int c = 0; c < classes; ++c) above += row[c] > mine;
    hits.top1 += above == 0;
    hits.topk += above < k;
  }
  return hits;
}

Trainer::Trainer(Graph& graph, LossReadout loss, Optimizer& optimizer, LrSchedule schedule,
                 TrainingState& state)
    : graph_(graph),
      loss_(std::move(loss)),
      optimizer_(optimizer),
      schedule_(std::move(schedule)),
      state_(state) {
  DNNTRAIN_CHECK(loss_.loss && loss_.log_probs && loss_.classes > 0, "trainer: incomplete loss readout");
  const dnnl::memory::dims dims = graph_.input_dims();
  int64_t elements = 1;
  for (auto d : dims) elements *= d;
  padded_images_.assign(static_cast<size_t>(elements), 0.f);
  padded_labels_.assign(static_cast<size_t>(graph_.batch()), 0);
}

StepStats Trainer::step(const BatchRef& batch, int64_t steps_per_epoch) {
  DNNTRAIN_CHECK(batch.n == graph_.batch(),
                 fmt::format("trainer: a training batch has {} samples, the model was planned for {}",
                             batch.n, graph_.batch()));
  StepStats s;
  s.lr = schedule_.at_step(state_.step, steps_per_epoch);
  graph_.forward(Mode::train, batch.images, batch.labels);
  s.loss = loss_.loss();
  if (!std::isfinite(s.loss))
    throw Error(
        fmt::format("step {} (epoch {}, batch {}): the loss is {}; stopped before updating the weights "
                    "(lower --lr, or check the data); the last checkpoint is untouched",
                    state_.step + 1, state_.epoch + 1, state_.batch_in_epoch + 1, s.loss));
  s.correct = static_cast<int>(count_topk(loss_.log_probs(), batch.labels, batch.n, loss_.classes, 1).top1);
  s.n = batch.n;
  graph_.backward();
  if (before_update_) before_update_();
  optimizer_.step(s.lr);
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

EvalResult Trainer::evaluate(BatchSource& source) {
  EvalResult r;
  const int classes = loss_.classes, planned = graph_.batch();
  const int k = std::min(5, classes);
  r.classes = classes;
  r.confusion.assign(static_cast<size_t>(classes) * classes, 0);
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  source.start_epoch(0, 0);
  BatchRef batch;
  while (source.next(batch)) {
    const float* images = batch.images;
    const int32_t* labels = batch.labels;
    if (batch.n < planned) {
      const size_t per = padded_images_.size() / static_cast<size_t>(planned);
      std::memcpy(padded_images_.data(), batch.images, sizeof(float) * per * batch.n);
      std::fill(padded_images_.begin() + static_cast<std::ptrdiff_t>(per * batch.n), padded_images_.end(),
                0.f);
      std::copy(batch.labels, batch.labels + batch.n, padded_labels_.begin());
      std::fill(padded_labels_.begin() + batch.n, padded_labels_.end(), 0);
      images = padded_images_.data();
      labels = padded_labels_.data();
    }
    graph_.forward(Mode::eval, images, labels);
    const float* lp = loss_.log_probs();
    const TopK hits = count_topk(lp, labels, batch.n, classes, k);
    top1 += hits.top1;
    top5 += hits.topk;
    for (int i = 0; i < batch.n; ++i) {
      const float* row = lp + static_cast<size_t>(i) * classes;
      loss_sum -= row[labels[i]];
      const int predicted = static_cast<int>(std::max_element(row, row + classes) - row);
      ++r.confusion[static_cast<size_t>(labels[i]) * classes + predicted];
    }
    r.samples += batch.n;
  }
  DNNTRAIN_CHECK(r.samples > 0, "evaluation: the test set is empty");
  r.loss = loss_sum / static_cast<double>(r.samples);
  r.top1 = static_cast<double>(top1) / static_cast<double>(r.samples);
  r.top5 = static_cast<double>(top5) / static_cast<double>(r.samples);
  return r;
}

}  // namespace dnntrain::engine
