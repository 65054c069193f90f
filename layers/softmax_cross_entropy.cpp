// SoftmaxCrossEntropy: logsoftmax forward/backward primitives; the loss and d(loss)/d(log p) are
// a loop over N×classes values, negligible beside the network.
#include "layers/softmax_cross_entropy.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;

SoftmaxCrossEntropy::SoftmaxCrossEntropy(std::string name, float label_smoothing)
    : Layer(std::move(name)), smoothing_(label_smoothing) {
  DNNTRAIN_CHECK(smoothing_ >= 0.f && smoothing_ < 1.f,
                 fmt::format("label smoothing must be in [0, 1), got {}", smoothing_));
}

void SoftmaxCrossEntropy::plan(engine::Planner& p) {
  const memory::desc& md = p.input_desc(0);
  const memory::dims d = md.dims();
  DNNTRAIN_CHECK(d.size() == 2 && md == memory::desc(d, memory::data_type::f32, memory::format_tag::nc),
                 fmt::format("loss {}: expects (N, classes) logits in plain layout", name()));
  batch_ = static_cast<int>(d[0]);
  classes_ = static_cast<int>(d[1]);
  auto fwd_pd = dnnl::logsoftmax_forward::primitive_desc(
      dnnl::logsoftmax_forward::desc(dnnl::prop_kind::forward_training, md, 1), p.attr(), p.engine());
  p.backward_ignores_inputs();  // it reads its own log-probabilities
  log_probs_ = p.persistent(md);  // readable after backward too (metrics)
  forward_ = p.op(fwd_pd, {{DNNL_ARG_SRC, p.input(0)}, {DNNL_ARG_DST, log_probs_}});
  if (!p.needs_diff_input(0)) return;
  diff_log_probs_ = p.saved(md);
  auto bwd_pd = dnnl::logsoftmax_backward::primitive_desc(dnnl::logsoftmax_backward::desc(md, md, 1), p.attr(),
                                                          p.engine(), fwd_pd);
  backward_ = p.op(bwd_pd, {{DNNL_ARG_DST, log_probs_}, {DNNL_ARG_DIFF_DST, diff_log_probs_},
                            {DNNL_ARG_DIFF_SRC, p.diff_input(0)}});
}

void SoftmaxCrossEntropy::forward(engine::Step& step) {
  forward_.run(step);
  step.stream.wait();
  DNNTRAIN_CHECK(step.labels != nullptr, fmt::format("loss {}: no labels given for the batch", name()));
  const float* lp = log_probs();
  const double on_label = 1.0 - smoothing_, uniform = static_cast<double>(smoothing_) / classes_;
  double total = 0;
  for (int n = 0; n < batch_; ++n) {
    const int32_t y = step.labels[n];
    DNNTRAIN_CHECK(y >= 0 && y < classes_,
                   fmt::format("loss {}: label {} of sample {} is outside [0, {})", name(), y, n, classes_));
    const float* row = lp + static_cast<size_t>(n) * classes_;
    double row_sum = 0;
    for (int k = 0; k < classes_; ++k) row_sum += row[k];
    total -= on_label * row[y] + uniform * row_sum;
  }
  loss_ = total / batch_;
  if (!diff_log_probs_ || step.mode == engine::Mode::eval) return;
  // d(loss)/d(log p[n][k]) = -(uniform + on_label·[k == y_n]) / N
  float* g = static_cast<float*>(diff_log_probs_.get_data_handle());
  const float base = static_cast<float>(-uniform / batch_);
  const float extra = static_cast<float>(-on_label / batch_);
  for (int n = 0; n < batch_; ++n) {
    float* row = g + static_cast<size_t>(n) * classes_;
    for (int k = 0; k < classes_; ++k) row[k] = base;
    row[step.labels[n]] += extra;
  }
}

void SoftmaxCrossEntropy::backward(engine::Step& step) { backward_.run(step); }

}  // namespace dnntrain::layers
