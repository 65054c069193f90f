// The Predictor's plans: one ResNet planned for inference per batch size, made on first use and
// kept, the least recently used dropped beyond a bound. Each new plan gets the predictor's weights.
#pragma once

#include <list>
#include <memory>
#include <vector>

#include "api/weights.hpp"
#include "engine/context.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::api {

class PlanCache {
 public:
  // `config`'s batch is replaced by each requested size.
  PlanCache(layers::ResNetConfig config, int max_plans);
  // The model planned for `batch`, most recently used from now on; a new one is planned in eval
  // mode (engine::GraphOptions::inference) and holds `weights` (initialize(0) when they are empty).
  layers::Model& get(engine::Context& context, int batch, const Weights& weights);
  std::vector<int> batch_sizes() const;  // most recently used first

 private:
  layers::ResNetConfig config_;
  int max_plans_;
  std::list<std::unique_ptr<layers::Model>> models_;  // most recently used first
};

}  // namespace dnntrain::api
