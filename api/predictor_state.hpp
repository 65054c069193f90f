// What a dnntrain::Predictor holds: its context, its weights apart from any plan, and its plans.
// Shared with the Trainer, which makes predictors from its current weights.
#pragma once

#include <dnntrain/predictor.hpp>

#include "api/plan_cache.hpp"
#include "api/reader_source.hpp"
#include "api/weights.hpp"
#include "engine/context.hpp"

namespace dnntrain {

struct Predictor::State {
  State(const ModelSpec& spec, const PredictorOptions& options);
  ModelSpec spec;
  PredictorOptions options;
  api::InputShape shape;
  engine::Context context;
  api::Weights weights;  // empty until loaded: new plans then draw initialize(0)'s values
  api::PlanCache plans;
};

}  // namespace dnntrain
