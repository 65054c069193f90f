// bench's report: the text table people read and the JSON object scripts read (keys include
// train_images_per_sec, infer_images_per_sec, peak_rss_bytes and layers).
#pragma once

#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

struct BenchReport {
  layers::ResNetConfig config;
  int threads = 0;
  double train_step_seconds = 0, infer_step_seconds = 0;  // medians
  engine::MemoryReport memory;
  size_t peak_rss_bytes = 0;
  std::vector<engine::LayerTime> layers;  // empty when not profiled
};

std::string bench_text(const BenchReport& r);
std::string bench_json(const BenchReport& r);

}  // namespace dnntrain::apps
