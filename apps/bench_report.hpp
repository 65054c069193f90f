// bench's report: the text table people read and the JSON object scripts read (keys include
// train_images_per_sec, infer_images_per_sec, peak_rss_bytes, layers and the roofline: peak,
// per-layer and whole-step GFLOP/s forward and backward and their share of the f32 peak).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apps/machine_load.hpp"
#include "apps/peak_flops.hpp"
#include "apps/precision_tuner.hpp"
#include "engine/graph.hpp"
#include "engine/inference_plan.hpp"
#include "engine/runtime_info.hpp"
#include "engine/tuning.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

struct BenchReport {
  layers::ResNetConfig config;
  int threads = 0;
  double train_step_seconds = 0, infer_step_seconds = 0;  // medians; infer: the folded inference plan
  double infer_unfolded_step_seconds = 0;  // median of the training graph's eval-mode forward
  engine::InferenceMemory inference;       // the inference plan's arena, weights and scratchpad
  double update_seconds = 0;  // median of the optimizer step inside the train step
  engine::MemoryReport memory;
  size_t peak_rss_bytes = 0;
  std::vector<engine::LayerTime> layers;  // empty when not profiled
  PeakFlops peak;                         // f32_gflops 0: not measured
  engine::RuntimeInfo runtime;            // oneDNN version, threading runtime, dispatched ISA
  std::vector<double> train_steps;        // seconds of each timed train step (min and max reported)
  LoadShare load;                         // steal and run-queue wait over the timed train steps
  std::optional<engine::PrecisionDecision> precision_auto;  // set when --precision auto decided
  std::vector<TunedLayer> tuned_layers;  // the per-layer timings behind a measured decision
};

std::string bench_text(const BenchReport& r);
std::string bench_json(const BenchReport& r);

}  // namespace dnntrain::apps
