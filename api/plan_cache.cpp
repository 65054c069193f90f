// Plans per batch size, least recently used dropped.
#include "api/plan_cache.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "layers/resnet_inference.hpp"

namespace dnntrain::api {

namespace {

layers::StateTensors state_tensors(const Weights& w) {
  layers::StateTensors state;
  for (size_t i = 0; i < w.parameters.size(); ++i) state[w.parameter_names[i]] = w.parameters[i];
  for (size_t i = 0; i < w.buffers.size(); ++i)
    if (w.buffer_is_f32[i])
      state[w.buffer_names[i]] = {reinterpret_cast<const float*>(w.buffers[i].data()),
                                  w.buffers[i].size() / sizeof(float)};
  return state;
}

}  // namespace

PlanCache::PlanCache(layers::ResNetConfig config, int max_plans)
    : config_(std::move(config)), max_plans_(max_plans) {
  DNNTRAIN_CHECK(max_plans >= 1,
                 fmt::format("PredictorOptions::max_plans must be at least 1, got {}", max_plans));
}

engine::InferencePlan& PlanCache::get(engine::Context& context, int batch, const Weights& weights) {
  for (auto it = plans_.begin(); it != plans_.end(); ++it)
    if ((*it)->batch() == batch) {
      plans_.splice(plans_.begin(), plans_, it);
      return *plans_.front();
    }
  DNNTRAIN_CHECK(!weights.parameters.empty(), "internal: a predictor plan without weights");
  layers::ResNetConfig config = config_;
  config.batch = batch;
  auto plan = layers::plan_inference(context, config, state_tensors(weights));
  if (static_cast<int>(plans_.size()) == max_plans_) plans_.pop_back();
  plans_.push_front(std::move(plan));
  return *plans_.front();
}

std::vector<int> PlanCache::batch_sizes() const {
  std::vector<int> sizes;
  for (const auto& p : plans_) sizes.push_back(p->batch());
  return sizes;
}

}  // namespace dnntrain::api
