// The Predictor's plans: one folded inference plan (layers/resnet_inference.hpp) per batch size, made
// on first use and kept, the least recently used dropped beyond a bound. Each is built from the
// predictor's weights.
#pragma once

#include <list>
#include <memory>
#include <vector>

#include "api/weights.hpp"
#include "engine/context.hpp"
#include "engine/inference_plan.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::api {

class PlanCache {
 public:
  // `config`'s batch is replaced by each requested size.
  PlanCache(layers::ResNetConfig config, int max_plans);
  // The plan for `batch`, most recently used from now on; a new one is built from `weights`.
  // requires: `weights` copied from a model of `config`.
  engine::InferencePlan& get(engine::Context& context, int batch, const Weights& weights);
  std::vector<int> batch_sizes() const;  // most recently used first

 private:
  layers::ResNetConfig config_;
  int max_plans_;
  std::list<std::unique_ptr<engine::InferencePlan>> plans_;  // most recently used first
};

}  // namespace dnntrain::api
