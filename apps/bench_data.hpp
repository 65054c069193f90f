// bench --dataset: the time a training step waits for data. The same model takes the same number
// of steps fed by the real pipeline (augmentation included) and from a batch already in memory;
// the difference, and the pipeline's own wait counter, say whether data keeps the step waiting.
#pragma once

#include <optional>
#include <string>

#include "apps/data_setup.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

struct DataWaitReport {
  std::string dataset, sharing;
  int pipeline_threads = 0, steps = 0;
  double step_ms_pipeline = 0, step_ms_buffer = 0, wait_ms_per_step = 0;
};

// Declares --dataset (default empty: no measurement), --data-path, --workers, --augment.
void declare_data_wait_options(OptionTable& t, DataOptions& o);

// Runs `warmup` + `steps` steps each way on `model`; nothing when o.dataset is empty. Throws
// UsageError when the data's shape differs from the model's (naming the options to pass).
std::optional<DataWaitReport> measure_data_wait(const DataOptions& o, layers::Model& model,
                                                engine::Optimizer& optimizer, int warmup, int steps);

std::string data_wait_text(const DataWaitReport& r);
// `json` (one object ending in "}\n") with a "data_wait" member added.
std::string add_data_wait_json(std::string json, const DataWaitReport& r);

}  // namespace dnntrain::apps
