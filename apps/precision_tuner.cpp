// ModelStepTimer and the wisdom key.
#include "apps/precision_tuner.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "apps/machine_load.hpp"
#include "engine/runtime_info.hpp"
#include "engine/wisdom.hpp"

namespace dnntrain::apps {

ModelStepTimer::ModelStepTimer(engine::Context& context, layers::ResNetConfig config)
    : context_(context), config_(std::move(config)) {
  blocks_ = config_.stage_blocks.empty() ? layers::resnet_architecture(config_.model).blocks : config_.stage_blocks;
  config_.stage_blocks = blocks_;
  for (int& n : config_.stage_blocks) n = std::min(n, 2);
}

ModelStepTimer::~ModelStepTimer() = default;

int layer_repeats(const std::string& name, const std::vector<int>& blocks) {
  // "layer<stage>.<block>.<rest>", stages counted from 1
  if (name.rfind("layer", 0) != 0) return 1;
  size_t stage = 0, block = 0, i = 5;
  const auto number = [&](size_t& out) {
    const size_t begin = i;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9') out = out * 10 + (name[i++] - '0');
    return i > begin && i < name.size() && name[i++] == '.';
  };
  if (!number(stage) || !number(block) || stage < 1 || stage > blocks.size()) return 1;
  return block == 1 ? std::max(1, blocks[stage - 1] - 1) : 1;
}

double ModelStepTimer::step_seconds(engine::Precision p) {
  std::unique_ptr<layers::Model>& model = models_[index(p)];
  if (images_.empty()) {  // not in the constructor: a decision read from the cache needs no images
    const layers::ResNetConfig& c = config_;
    images_.resize(static_cast<size_t>(c.batch) * c.in_channels * c.image_size * c.image_size);
    labels_.resize(c.batch);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal;
    for (float& v : images_) v = normal(rng);
    for (int32_t& y : labels_) y = static_cast<int32_t>(rng() % c.classes);
  }
  if (!model) {
    layers::ResNetConfig c = config_;
    c.precision = p;
    model = std::make_unique<layers::Model>(context_, c);
    model->graph().initialize(1);
    model->graph().forward(engine::Mode::train, images_.data(), labels_.data());  // first touches, untimed
    model->graph().set_profiling(true);
  }
  engine::Graph& graph = model->graph();
  graph.forward(engine::Mode::train, images_.data(), labels_.data());
  graph.backward();
  double seconds = 0;
  std::vector<Layer> layers;
  for (const engine::LayerTime& t : graph.layer_times()) {
    layers.push_back({t, layer_repeats(t.name, blocks_)});
    seconds += layers.back().repeats * (t.forward_ms + t.backward_ms) / 1e3;
  }
  Fastest& fastest = fastest_[index(p)];
  if (fastest.layers.empty() || seconds < fastest.seconds) fastest = {seconds, std::move(layers)};
  return seconds;
}

std::string tuning_key(const layers::ResNetConfig& c, int threads) {
  std::string blocks;
  for (int b : c.stage_blocks) blocks += fmt::format("{}{}", blocks.empty() ? "" : ",", b);
  return fmt::format("{} | model={}{} stem={} batch={} image={} in={} classes={} conv={} threads={}",
                     engine::machine_key(), c.model, blocks.empty() ? "" : "[" + blocks + "]",
                     engine::name_of(layers::kStemNames, c.stem), c.batch, c.image_size, c.in_channels, c.classes,
                     engine::name_of(layers::kConvAlgorithmNames, c.conv_algorithm), threads);
}

engine::PrecisionDecision tune_precision(engine::Context& context, const layers::ResNetConfig& config,
                                         engine::TuneMode mode, std::vector<TunedLayer>* layers) {
  ModelStepTimer timer(context, config);
  const LoadSample before = sample_load();
  engine::PrecisionDecision d = engine::decide_precision(mode, tuning_key(config, context.threads()),
                                                         engine::default_wisdom_path(), timer,
                                                         engine::cpu_has_native_bf16());
  if (d.source == engine::PrecisionDecision::Source::measured)
    if (const std::string busy = load_warning(load_between(before, sample_load(), context.threads()));
        !busy.empty())
      d.notices.push_back("while measuring the precisions: " + busy.substr(0, busy.size() - 1) +
                          " (--tune force measures again)");
  if (layers && d.source == engine::PrecisionDecision::Source::measured) {
    const auto& f32 = timer.layers(engine::Precision::f32);
    const auto& bf16 = timer.layers(engine::Precision::bf16);
    const auto ms = [](const engine::LayerTime& t) { return t.forward_ms + t.backward_ms; };
    for (size_t i = 0; i < f32.size(); ++i) layers->push_back({f32[i].time.name, ms(f32[i].time), 0, f32[i].repeats});
    // The bf16 graph has conversion layers of its own: matched by name, listed after.
    for (const auto& l : bf16) {
      auto it = std::find_if(layers->begin(), layers->end(), [&](const TunedLayer& t) { return t.name == l.time.name; });
      if (it == layers->end()) it = layers->insert(layers->end(), {l.time.name, 0, 0, l.repeats});
      it->bf16_ms = ms(l.time);
    }
  }
  return d;
}

}  // namespace dnntrain::apps
