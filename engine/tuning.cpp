// The precision rule, the measuring order and the cache lookup of --precision auto.
#include "engine/tuning.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "engine/wisdom.hpp"

namespace dnntrain::engine {

namespace {

// "cpu=... isa=... onednn=... | model=..." → the part after the machine's.
std::string_view config_part(std::string_view key) {
  const auto bar = key.find(" | ");
  return bar == std::string_view::npos ? key : key.substr(bar + 3);
}

}  // namespace

Precision choose_precision(const PrecisionTiming& t) {
  return t.bf16_seconds > 0 && t.bf16_seconds < t.f32_seconds ? Precision::bf16 : Precision::f32;
}

PrecisionTiming measure_precisions(StepTimer& timer, bool native_bf16, double budget_seconds, int max_rounds) {
  PrecisionTiming t;
  double spent = 0;
  for (int round = 0; round < std::max(1, max_rounds) && (round == 0 || spent < budget_seconds); ++round) {
    const double f32 = timer.step_seconds(Precision::f32);
    t.f32_seconds = round == 0 ? f32 : std::min(t.f32_seconds, f32);
    spent += f32;
    if (!native_bf16) continue;
    const double bf16 = timer.step_seconds(Precision::bf16);
    t.bf16_seconds = round == 0 ? bf16 : std::min(t.bf16_seconds, bf16);
    spent += bf16;
  }
  return t;
}

PrecisionDecision decide_precision(TuneMode mode, const std::string& key, const std::string& wisdom_path,
                                   StepTimer& timer, bool native_bf16) {
  PrecisionDecision d;
  if (mode == TuneMode::off) {
    d.why = "--tune off: not measured, f32";
    return d;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (mode == TuneMode::cached && !wisdom_path.empty()) {
    Wisdom w = read_wisdom(wisdom_path);
    d.notices = std::move(w.notices);
    if (const auto it = w.entries.find(key); it != w.entries.end()) {
      d.precision = it->second.precision;
      d.timing = it->second.timing;
      d.source = PrecisionDecision::Source::cached;
      d.tune_seconds = elapsed();
      return d;
    }
    for (const auto& [other, entry] : w.entries)
      if (config_part(other) == config_part(key)) {
        d.notices.push_back(fmt::format("{}: ignoring the entry measured on another machine or oneDNN ({}); "
                                        "measuring again",
                                        wisdom_path, other.substr(0, other.find(" | "))));
        break;
      }
  }
  d.timing = measure_precisions(timer, native_bf16);
  d.precision = choose_precision(d.timing);
  d.source = PrecisionDecision::Source::measured;
  if (wisdom_path.empty())
    d.notices.push_back("no cache folder ($XDG_CACHE_HOME and $HOME unset): the measurement is not kept");
  else if (auto failed = store_wisdom(wisdom_path, key, {d.precision, d.timing}))
    d.notices.push_back(*failed);
  d.tune_seconds = elapsed();
  return d;
}

std::string describe(const PrecisionDecision& d) {
  const std::string name(precision_name(d.precision));
  using S = PrecisionDecision::Source;
  if (d.source == S::not_measured || d.source == S::checkpoint)
    return fmt::format("precision auto: {} ({})", name, d.why);
  const std::string bf16 = d.timing.bf16_seconds > 0
                               ? fmt::format("bf16 {:.1f} ms/step", 1e3 * d.timing.bf16_seconds)
                               : "bf16 not measured (oneDNN has no native bf16 here)";
  return fmt::format("precision auto: {} ({}: f32 {:.1f} ms/step, {}; decided in {:.2f} s)", name,
                     d.source == S::cached ? "from the wisdom cache" : "measured", 1e3 * d.timing.f32_seconds,
                     bf16, d.tune_seconds);
}

}  // namespace dnntrain::engine
