// Compute threads and the loss readout.
#include "apps/model_setup.hpp"

#include <algorithm>
#include <thread>

namespace dnntrain::apps {

int compute_threads(int requested) {
  return requested > 0 ? requested : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

engine::LossReadout loss_readout(layers::Model& model) {
  layers::SoftmaxCrossEntropy& loss = model.loss();
  return {[&loss] { return loss.loss(); }, [&loss] { return loss.log_probs(); }, loss.classes()};
}

}  // namespace dnntrain::apps
