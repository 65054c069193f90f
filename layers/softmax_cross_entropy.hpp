// The training loss: log-softmax over classes and cross-entropy against the batch's labels,
// averaged over the batch, with optional label smoothing as in torch.nn.functional.cross_entropy;
// for a mixed batch (Step::mix_labels) the soft target lambda·onehot(a) + (1 - lambda)·onehot(b),
// smoothed as CrossEntropyLoss(label_smoothing) smooths a probability target.
// Computed in double (N x classes values, negligible beside the network). A sink: the backward
// pass starts here.
#pragma once

#include <vector>

#include "engine/layer.hpp"

namespace dnntrain::layers {

struct SoftmaxCrossEntropyOptions {
  float label_smoothing = 0.f;  // in [0, 1)
};

class SoftmaxCrossEntropy : public engine::Layer {
 public:
  using Options = SoftmaxCrossEntropyOptions;
  SoftmaxCrossEntropy(std::string name, SoftmaxCrossEntropyOptions options);
  bool is_sink() const override { return true; }
  void plan(engine::Planner& p) override;
  // Computes the log-probabilities and the loss of the batch (a label out of range throws). In eval
  // mode the labels may be absent (inference): then only the log-probabilities, and loss() is NaN.
  void forward(engine::Step& step) override;
  void backward(engine::Step& step) override;

  double loss() const { return loss_; }  // mean over the batch, of the last forward
  int classes() const { return classes_; }
  // Log-probabilities of the last forward, [N, classes] row-major; valid until the next forward.
  const float* log_probs() const { return static_cast<const float*>(log_probs_.get_data_handle()); }

 private:
  float smoothing_;
  int classes_ = 0, batch_ = 0;
  double loss_ = 0;
  dnnl::memory logits_, log_probs_, diff_logits_;  // (N, classes) nc
  dnnl::memory diff_input_;                         // empty when the logits need no gradient
};

}  // namespace dnntrain::layers
