// SoftmaxCrossEntropy: log-softmax, the loss and d(loss)/d(logits) in one double-precision loop
// in forward; backward hands the gradient on.
#include "layers/softmax_cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;

SoftmaxCrossEntropy::SoftmaxCrossEntropy(std::string name, SoftmaxCrossEntropyOptions options)
    : Layer(std::move(name)), smoothing_(options.label_smoothing) {
  DNNTRAIN_CHECK(smoothing_ >= 0.f && smoothing_ < 1.f,
                 fmt::format("label smoothing must be in [0, 1), got {}", smoothing_));
}

void SoftmaxCrossEntropy::plan(engine::Planner& p) {
  const memory::desc& md = p.input_desc(0);
  const memory::dims d = md.get_dims();
  DNNTRAIN_CHECK(d.size() == 2 && md == memory::desc(d, memory::data_type::f32, memory::format_tag::nc),
                 fmt::format("loss {}: expects (N, classes) logits in plain layout", name()));
  batch_ = static_cast<int>(d[0]);
  classes_ = static_cast<int>(d[1]);
  logits_ = p.input(0);
  p.backward_ignores_inputs();  // forward leaves d(loss)/d(logits) in a saved buffer
  log_probs_ = p.persistent(md);  // readable after backward too (metrics)
  if (!p.needs_diff_input(0)) return;
  diff_logits_ = p.saved(md);
  diff_input_ = p.diff_input(0);
}

void SoftmaxCrossEntropy::forward(engine::Step& step) {
  DNNTRAIN_CHECK(step.labels != nullptr || step.mode == engine::Mode::eval,
                 fmt::format("loss {}: no labels given for a training batch", name()));
  const float* logits = static_cast<const float*>(logits_.get_data_handle());
  float* lp = static_cast<float*>(log_probs_.get_data_handle());
  const bool gradient = diff_logits_ && step.mode == engine::Mode::train;
  float* g = gradient ? static_cast<float*>(diff_logits_.get_data_handle()) : nullptr;
  // target_k = uniform + on_label·(lambda·[k == y] + (1 - lambda)·[k == y2]); loss = -Σ target_k·log p_k.
  const double on_label = 1.0 - smoothing_, uniform = static_cast<double>(smoothing_) / classes_;
  const bool mixed = step.mix_labels != nullptr && step.labels != nullptr;
  const double lambda = mixed ? step.mix_lambda : 1.0;
  DNNTRAIN_CHECK(lambda >= 0 && lambda <= 1,
                 fmt::format("loss {}: mix weight {} is outside [0, 1]", name(), lambda));
  const double w1 = on_label * lambda, w2 = on_label * (1.0 - lambda);
  double total = 0;
  for (int n = 0; n < batch_; ++n) {
    const int32_t y = step.labels ? step.labels[n] : 0;  // no labels (inference): log-probs only
    const int32_t y2 = mixed ? step.mix_labels[n] : y;
    DNNTRAIN_CHECK(y >= 0 && y < classes_,
                   fmt::format("loss {}: label {} of sample {} is outside [0, {})", name(), y, n, classes_));
    DNNTRAIN_CHECK(
        y2 >= 0 && y2 < classes_,
        fmt::format("loss {}: mixed label {} of sample {} is outside [0, {})", name(), y2, n, classes_));
    const size_t row = static_cast<size_t>(n) * classes_;
    double top = logits[row];
    for (int k = 1; k < classes_; ++k) top = std::max(top, static_cast<double>(logits[row + k]));
    double sum_exp = 0;
    for (int k = 0; k < classes_; ++k) sum_exp += std::exp(logits[row + k] - top);
    const double log_sum = top + std::log(sum_exp);
    double row_sum = 0;
    for (int k = 0; k < classes_; ++k) {
      const double log_p = logits[row + k] - log_sum;
      lp[row + k] = static_cast<float>(log_p);
      row_sum += log_p;
      // d(loss)/d(logit k) = (softmax_k - target_k) / N
      // (the unmixed case subtracts 0.0 last: the same bits as the plain target)
      if (g)
        g[row + k] = static_cast<float>(
            (std::exp(log_p) - uniform - (k == y ? w1 : 0.0) - (k == y2 ? w2 : 0.0)) / batch_);
    }
    total -= w1 * (logits[row + y] - log_sum) + w2 * (logits[row + y2] - log_sum) + uniform * row_sum;
  }
  loss_ = step.labels ? total / batch_ : std::numeric_limits<double>::quiet_NaN();
}

void SoftmaxCrossEntropy::backward(engine::Step& step) {
  (void)step;
  if (!diff_input_) return;
  std::memcpy(diff_input_.get_data_handle(), diff_logits_.get_data_handle(),
              static_cast<size_t>(batch_) * classes_ * sizeof(float));
}

}  // namespace dnntrain::layers
