// Plans per batch size, least recently used dropped.
#include "api/plan_cache.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"

namespace dnntrain::api {

PlanCache::PlanCache(layers::ResNetConfig config, int max_plans)
    : config_(std::move(config)), max_plans_(max_plans) {
  DNNTRAIN_CHECK(max_plans >= 1,
                 fmt::format("PredictorOptions::max_plans must be at least 1, got {}", max_plans));
}

layers::Model& PlanCache::get(engine::Context& context, int batch, const Weights& weights) {
  for (auto it = models_.begin(); it != models_.end(); ++it)
    if ((*it)->config().batch == batch) {
      models_.splice(models_.begin(), models_, it);
      return *models_.front();
    }
  layers::ResNetConfig config = config_;
  config.batch = batch;
  auto model = std::make_unique<layers::Model>(context, config, engine::GraphOptions{.inference = true});
  if (weights.parameters.empty())
    model->graph().initialize(0);
  else
    paste_weights(weights, model->graph());
  if (static_cast<int>(models_.size()) == max_plans_) models_.pop_back();
  models_.push_front(std::move(model));
  return *models_.front();
}

std::vector<int> PlanCache::batch_sizes() const {
  std::vector<int> sizes;
  for (const auto& m : models_) sizes.push_back(m->config().batch);
  return sizes;
}

}  // namespace dnntrain::api
