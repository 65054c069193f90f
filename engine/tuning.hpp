// --precision auto decided by measurement: the timings of one training step in each precision, the
// rule that picks from them (a pure function, so tests feed it made-up timings), and the decision
// with where it came from (measured now, the wisdom cache, a checkpoint, or no measurement).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/names.hpp"
#include "engine/precision.hpp"

namespace dnntrain::engine {

// --tune: off (no measuring: auto is f32), cached (the wisdom cache, else measure and store it),
// force (measure again and overwrite the cache's entry).
enum class TuneMode { off, cached, force };
inline constexpr Named<TuneMode> kTuneModeNames[] = {
    {TuneMode::off, "off"}, {TuneMode::cached, "cached"}, {TuneMode::force, "force"}};

// Seconds of one training step (forward + backward) of the planned model in each precision;
// 0: not measured (bf16 is not measured where oneDNN only emulates it).
struct PrecisionTiming {
  double f32_seconds = 0, bf16_seconds = 0;
};

// The rule: bf16 when it was measured and is strictly faster than f32, else f32 (the exact one).
Precision choose_precision(const PrecisionTiming& t);

// Where the timings come from. The real source plans the model in each precision on first use and
// times one more step of it per call (apps/precision_tuner.hpp); tests inject their own.
class StepTimer {
 public:
  virtual ~StepTimer() = default;
  // ensures: seconds of one more training step in precision p, > 0.
  virtual double step_seconds(Precision p) = 0;
};

struct PrecisionDecision {
  enum class Source { measured, cached, checkpoint, not_measured };
  // The sources' names in bench --json and log.jsonl.
  static constexpr Named<Source> kSourceNames[] = {{Source::measured, "measured"},
                                                   {Source::cached, "cached"},
                                                   {Source::checkpoint, "checkpoint"},
                                                   {Source::not_measured, "not_measured"}};
  Precision precision = Precision::f32;
  PrecisionTiming timing;  // zeros for checkpoint and not_measured
  Source source = Source::not_measured;
  double tune_seconds = 0;             // time spent deciding (measuring, or reading the cache)
  std::string why;                     // not_measured and checkpoint: the reason, for the log line
  std::vector<std::string> notices;    // one line each: a cache entry ignored, a cache not written
};

// Times both precisions with `timer` (bf16 only where oneDNN runs it natively, `native_bf16`) in
// alternating rounds, so that a passing load slows both: rounds until the steps' seconds add up
// to `budget_seconds` (at least one round, at most `max_rounds`); each precision's fastest step.
PrecisionTiming measure_precisions(StepTimer& timer, bool native_bf16, double budget_seconds = 2.0,
                                   int max_rounds = 8);

// Decides auto: under `mode` cached, the wisdom file's entry for `key` when it has a valid one;
// otherwise (cached without an entry, force) measures with `timer` and stores the result under
// `key` in `wisdom_path` (empty: no cache; notices say so). Under off, f32 without measuring.
PrecisionDecision decide_precision(TuneMode mode, const std::string& key, const std::string& wisdom_path,
                                   StepTimer& timer, bool native_bf16);

// One line for the logs: "precision auto: bf16 (measured: f32 312.4 ms/step, bf16 190.1 ms/step; 6.2 s)".
std::string describe(const PrecisionDecision& d);

}  // namespace dnntrain::engine
