// --precision auto's decision as one JSON object, for bench --json and log.jsonl.
#pragma once

#include <optional>
#include <string>

#include "engine/tuning.hpp"

namespace dnntrain::apps {

// {"chosen", "source", "f32_step_ms", "bf16_step_ms", "tune_seconds"}, or null without a decision.
std::string precision_auto_json(const std::optional<engine::PrecisionDecision>& d);

}  // namespace dnntrain::apps
