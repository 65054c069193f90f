// precision_auto_json: the decision's fields, its source by PrecisionDecision::kSourceNames.
#include "apps/precision_json.hpp"

#include <fmt/format.h>

namespace dnntrain::apps {

std::string precision_auto_json(const std::optional<engine::PrecisionDecision>& d) {
  if (!d) return "null";
  return fmt::format(
      "{{\"chosen\":\"{}\",\"source\":\"{}\",\"f32_step_ms\":{:.3f},\"bf16_step_ms\":{:.3f},\"tune_seconds\":{:.4f}}}",
      engine::precision_name(d->precision),
      engine::name_of(engine::PrecisionDecision::kSourceNames, d->source), 1e3 * d->timing.f32_seconds,
      1e3 * d->timing.bf16_seconds, d->tune_seconds);
}

}  // namespace dnntrain::apps
