// The training loss: log-softmax over classes (a oneDNN primitive) and cross-entropy against the
// batch's labels, averaged over the batch, with optional label smoothing as in
// torch.nn.functional.cross_entropy. A sink: the backward pass starts here.
#pragma once

#include <vector>

#include "engine/layer.hpp"
#include "engine/op.hpp"

namespace dnntrain::layers {

class SoftmaxCrossEntropy : public engine::Layer {
 public:
  SoftmaxCrossEntropy(std::string name, float label_smoothing = 0.f);
  bool is_sink() const override { return true; }
  void plan(engine::Planner& p) override;
  // Computes the loss of the batch (requires valid labels; a label out of range throws).
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
  engine::Op forward_, backward_;
  dnnl::memory log_probs_, diff_log_probs_;
};

}  // namespace dnntrain::layers
