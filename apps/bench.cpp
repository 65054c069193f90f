// dnntrain bench: training images/s (forward + backward + optimizer step) and inference images/s
// (the folded inference plan, and the training graph in eval mode) of a ResNet on synthetic data,
// a per-layer time table, and peak memory.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "apps/command.hpp"
#include "apps/bench_data.hpp"
#include "apps/bench_report.hpp"
#include "apps/option_table.hpp"
#include "apps/options.hpp"
#include "apps/machine_load.hpp"
#include "apps/peak_flops.hpp"
#include "apps/precision_tuner.hpp"
#include "engine/context.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet.hpp"
#include "layers/resnet_inference.hpp"

namespace dnntrain::apps {

namespace {

struct BenchOptions {
  ModelOptions model;
  int steps = 10, warmup = 2, profile_steps = 3;
  bool json = false, plan = false;
  std::string opt = "sgd";
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

size_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<size_t>(usage.ru_maxrss) * 1024;
}

// Seconds of each timed step; `load`, when given, gets the machine's load over the timed steps.
template <class F>
std::vector<double> time_steps(int warmup, int steps, F&& step, LoadShare* load = nullptr, int threads = 0) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> seconds;
  const LoadSample before = sample_load();
  for (int i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (load) *load = load_between(before, sample_load(), threads);
  return seconds;
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  BenchOptions o;
  OptionTable t("dnntrain bench: throughput on synthetic data");
  declare_model_options(t, o.model);
  declare_tune_option(t, o.model);
  t.option("model").choices(names_of(layers::resnet_models()));
  DataOptions data;  // --dataset: also measure the time a step waits for data (bench_data.cpp)
  declare_data_wait_options(t, data);
  t.add("steps", o.steps).help("timed steps (their median, min and max are reported)").range(1, INT32_MAX);
  t.add("warmup", o.warmup).help("untimed steps first");
  t.add("profile-steps", o.profile_steps)
      .help("steps of the per-layer profile (each layer waits for the previous; 0: no table)");
  t.add("opt", o.opt)
      .help("the optimizer of the train step (SGD with momentum 0.9, Adam and AdamW with torch's defaults; "
            "weight decay 1e-4)")
      .choices(names_of(engine::kOptimizerNames));
  t.flag("json", o.json).help("print one JSON object instead of the text report");
  t.flag("plan", o.plan).help("print the plan: each layer's output layout and the kernels chosen");
  if (!t.parse(args)) return 0;
  check_model_options(o.model);
  if (!data.dataset.empty()) check_data_options(data);
  const auto kind = engine::find_named(engine::kOptimizerNames, o.opt);

  engine::Context context(o.model.threads);
  layers::ResNetConfig config = resnet_config(o.model);
  std::optional<engine::PrecisionDecision> precision;  // --precision auto's
  std::vector<TunedLayer> tuned_layers;
  if (o.model.precision == "auto") {
    precision = tune_precision(context, config, *engine::find_named(engine::kTuneModeNames, o.model.tune),
                               o.profile_steps > 0 ? &tuned_layers : nullptr);
    config.precision = precision->precision;
    for (const std::string& notice : precision->notices) fmt::print(stderr, "{}\n", notice);
  }
  layers::Model model(context, config);
  engine::Graph& graph = model.graph();
  graph.initialize(1);
  if (o.plan) std::fputs(graph.describe().c_str(), stdout);
  const layers::ResNetConfig& c = model.config();
  std::vector<float> images(static_cast<size_t>(c.batch) * c.in_channels * c.image_size * c.image_size);
  std::vector<int32_t> labels(c.batch);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& v : images) v = normal(rng);
  for (int32_t& y : labels) y = static_cast<int32_t>(rng() % c.classes);
  engine::OptimizerOptions optimizer_options;
  optimizer_options.kind = *kind;
  if (*kind == engine::OptimizerOptions::Kind::sgd) optimizer_options.momentum = 0.9;
  optimizer_options.weight_decay = 1e-4;
  engine::Optimizer optimizer(graph.parameters(), optimizer_options);

  std::vector<double> update;  // the optimizer's share of each train step
  LoadShare load;
  const auto train = time_steps(o.warmup, o.steps, [&] {
    graph.forward(engine::Mode::train, images.data(), labels.data());
    graph.backward();
    const auto t0 = std::chrono::steady_clock::now();
    optimizer.step(0.01);
    update.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }, &load, context.threads());
  update.erase(update.begin(), update.begin() + o.warmup);
  const auto unfolded =
      time_steps(1, o.steps, [&] { graph.forward(engine::Mode::eval, images.data(), labels.data()); });
  const auto plan = layers::plan_inference(context, c, layers::state_of(graph).tensors);
  if (o.plan) std::fputs(plan->describe().c_str(), stdout);
  const auto infer = time_steps(1, o.steps, [&] { plan->forward(images.data()); });
  std::vector<engine::LayerTime> layers;
  if (o.profile_steps > 0) {
    graph.set_profiling(true);
    std::vector<std::vector<engine::LayerTime>> runs;
    for (int i = 0; i < o.profile_steps; ++i) {
      graph.forward(engine::Mode::train, images.data(), labels.data());
      graph.backward();
      runs.push_back(graph.layer_times());
    }
    graph.set_profiling(false);
    layers = runs.front();
    for (size_t l = 0; l < layers.size(); ++l) {
      // Each timing field of layer l: its median over the profiled runs.
      for (double engine::LayerTime::*field :
           {&engine::LayerTime::forward_ms, &engine::LayerTime::backward_ms,
            &engine::LayerTime::forward_primitive_ms, &engine::LayerTime::backward_primitive_ms}) {
        std::vector<double> values;
        for (const auto& run : runs) values.push_back(run[l].*field);
        layers[l].*field = median(values);
      }
    }
  }
  const double train_s = median(train), infer_s = median(infer);
  BenchReport report{model.config(),
                     context.threads(),
                     train_s,
                     infer_s,
                     median(unfolded),
                     plan->memory_report(),
                     median(update),
                     graph.memory_report(),
                     peak_rss_bytes(),
                     layers,
                     measure_peak_flops(context.threads()),
                     engine::runtime_info(),
                     train,
                     load,
                     precision,
                     tuned_layers};
  std::string out = o.json ? bench_json(report) : bench_text(report);
  if (const auto wait = measure_data_wait(data, model, optimizer, o.warmup, o.steps))
    out = o.json ? add_data_wait_json(out, *wait) : out + data_wait_text(*wait);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace dnntrain::apps
