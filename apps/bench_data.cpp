// The data-wait measurement of bench: pipeline-fed steps against buffer-fed steps.
#include "apps/bench_data.hpp"

#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "apps/command.hpp"
#include "apps/option_table.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

void declare_data_wait_options(OptionTable& t, DataOptions& o) {
  o.dataset.clear();
  declare_data_options(t, o, DataUse::bench);
}

std::optional<DataWaitReport> measure_data_wait(const DataOptions& given, layers::Model& model,
                                                engine::Optimizer& optimizer, int warmup, int steps) {
  if (given.dataset.empty()) return std::nullopt;
  DataOptions o = given;
  const data::DatasetKind kind = check_data_options(o);
  const layers::ResNetConfig& c = model.config();
  ModelOptions shape;
  shape.model = c.model;
  shape.image_size = c.image_size;
  shape.in_channels = c.in_channels;
  shape.classes = c.classes;
  auto train = open_split(kind, o, shape, data::Split::train);
  const data::Dataset::Shape s = train->shape();
  if (train->in_memory() && (s.channels != c.in_channels || s.height != c.image_size || train->classes() > c.classes))
    throw UsageError(fmt::format("--dataset {}: the data is {}x{}x{} with {} classes; pass --in-channels {} "
                                 "--image-size {} --classes {}",
                                 o.dataset, s.channels, s.height, s.width, train->classes(), s.channels, s.height,
                                 train->classes()));
  PipelineSource source(train, kind, o, c.image_size, c.batch, true, 0);
  DNNTRAIN_CHECK(source.batches_per_epoch() >= warmup + steps + 1,
                 fmt::format("bench: {} has too few batches for {} steps", o.dataset, warmup + steps));
  engine::Graph& graph = model.graph();
  const auto step = [&](const engine::BatchRef& b) {
    graph.forward(engine::Mode::train, b.images, b.labels, b.mix_labels, b.mix_lambda);
    graph.backward();
    optimizer.step(0.01);
  };
  const auto now = [] { return std::chrono::steady_clock::now(); };
  const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };

  source.start_epoch(0, 0);
  engine::BatchRef batch;
  for (int i = 0; i < warmup; ++i) {
    source.next(batch);
    step(batch);
  }
  const double wait0 = source.wait_seconds();
  auto t0 = now();
  for (int i = 0; i < steps; ++i) {
    source.next(batch);
    step(batch);
  }
  const double with_pipeline = seconds(t0, now());
  const double waited = source.wait_seconds() - wait0;
  source.next(batch);  // one batch copied out: the ready buffer
  const size_t per_batch = static_cast<size_t>(c.batch) * c.in_channels * c.image_size * c.image_size;
  std::vector<float> images(batch.images, batch.images + per_batch);
  std::vector<int32_t> labels(batch.labels, batch.labels + c.batch);
  const engine::BatchRef ready{images.data(), labels.data(), c.batch};
  t0 = now();
  for (int i = 0; i < steps; ++i) step(ready);
  const double from_buffer = seconds(t0, now());

  DataWaitReport r;
  r.dataset = o.dataset;
  r.sharing = source.pipeline().sharing() == data::CoreSharing::in_steps ? "in_steps" : "background";
  r.pipeline_threads = source.pipeline().threads();
  r.steps = steps;
  r.step_ms_pipeline = 1e3 * with_pipeline / steps;
  r.step_ms_buffer = 1e3 * from_buffer / steps;
  r.wait_ms_per_step = 1e3 * waited / steps;
  return r;
}

std::string data_wait_text(const DataWaitReport& r) {
  return fmt::format(
      "\ndata ({}, pipeline {} with {} thread{}, {} steps each way)\n"
      "  step fed by the pipeline     {:9.2f} ms\n"
      "  step fed from a ready buffer {:9.2f} ms\n"
      "  waited for data              {:9.2f} ms per step ({:.1f}% of the pipeline-fed step)\n",
      r.dataset, r.sharing, r.pipeline_threads, r.pipeline_threads == 1 ? "" : "s", r.steps, r.step_ms_pipeline,
      r.step_ms_buffer, r.wait_ms_per_step, 100 * r.wait_ms_per_step / r.step_ms_pipeline);
}

std::string add_data_wait_json(std::string json, const DataWaitReport& r) {
  const size_t end = json.rfind('}');
  if (end == std::string::npos) return json;
  json.insert(end, fmt::format(",\"data_wait\":{{\"dataset\":\"{}\",\"sharing\":\"{}\",\"pipeline_threads\":{},"
                               "\"steps\":{},\"step_ms_pipeline\":{:.3f},\"step_ms_buffer\":{:.3f},"
                               "\"wait_ms_per_step\":{:.3f}}}",
                               r.dataset, r.sharing, r.pipeline_threads, r.steps, r.step_ms_pipeline,
                               r.step_ms_buffer, r.wait_ms_per_step));
  return json;
}

}  // namespace dnntrain::apps
