// One inference engine of dnntrain in its own process, for perf/compare_inference.py: the folded
// inference plan (sum or binary-add residuals; micro-batched by its rule, or folded-whole: the whole
// batch throughout) or the training graph in eval mode, on torchvision's
// state_dict in a safetensors file (or random weights), timed on random images. Prints one JSON line
// with images/s, the median ms per batch and the process's peak RSS (VmHWM).
// usage: inference_bench MODEL BATCH SIZE THREADS f32|bf16 folded|folded-whole|folded-binary|unfolded STEPS [WEIGHTS]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "layers/resnet_inference.hpp"

using namespace dnntrain;

namespace {

size_t vm_hwm_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

template <class F>
double median_seconds(int steps, F&& step) {
  step();
  step();
  std::vector<double> s;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  DNNTRAIN_CHECK(argc == 8 || argc == 9,
                 "usage: inference_bench MODEL BATCH SIZE THREADS f32|bf16 folded|folded-whole|folded-binary|unfolded "
                 "STEPS [WEIGHTS]");
  layers::ResNetConfig c;
  c.model = argv[1];
  c.batch = std::stoi(argv[2]);
  c.image_size = std::stoi(argv[3]);
  c.precision = std::string(argv[5]) == "bf16" ? engine::Precision::bf16 : engine::Precision::f32;
  const std::string kind = argv[6];
  const int steps = std::stoi(argv[7]);
  const std::string weights = argc == 9 ? argv[8] : "";
  engine::Context context(std::stoi(argv[4]));
  std::vector<float> images(static_cast<size_t>(c.batch) * 3 * c.image_size * c.image_size);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& v : images) v = normal(rng);
  double seconds = 0;
  size_t arena = 0;
  int micro_batch = c.batch;
  if (kind == "unfolded") {
    layers::Model model(context, c, {.inference = true});
    if (weights.empty())
      model.graph().initialize(1);
    else
      engine::load_weights(weights, model.graph().parameters(), model.graph().buffers());
    arena = model.graph().memory_report().transient;
    seconds =
        median_seconds(steps, [&] { model.graph().forward(engine::Mode::eval, images.data(), nullptr); });
  } else {
    std::unique_ptr<engine::InferencePlan> plan;
    const auto residual =
        kind == "folded-binary" ? engine::ResidualFusion::binary_add : engine::ResidualFusion::sum;
    const std::optional<layers::MicroBatching> micro =
        kind == "folded-whole" ? std::optional<layers::MicroBatching>(layers::MicroBatching{}) : std::nullopt;
    if (weights.empty()) {
      layers::ResNetConfig small = c;  // the same parameters at the smallest input
      small.batch = 1;
      small.image_size = layers::min_image_size(c);
      layers::Model model(context, small, {.inference = true});
      model.graph().initialize(1);
      plan = layers::plan_inference(context, c, layers::state_of(model.graph()).tensors, residual, micro);
    } else {
      const engine::Safetensors file = engine::Safetensors::read(weights);
      plan = layers::plan_inference(context, c, layers::state_of(file).tensors, residual, micro);
    }
    arena = plan->memory_report().activations;
    micro_batch = plan->micro_batch();
    seconds = median_seconds(steps, [&] { plan->forward(images.data()); });
  }
  fmt::print(
      "{{\"engine\":\"dnntrain_{}\",\"precision\":\"{}\",\"images_per_sec\":{:.3f},\"ms\":{:.3f},"
      "\"peak_rss_bytes\":{},\"arena_bytes\":{},\"micro_batch\":{}}}\n",
      kind, argv[5], c.batch / seconds, 1e3 * seconds, vm_hwm_bytes(), arena, micro_batch);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "inference_bench: %s\n", e.what());
  return 1;
}
