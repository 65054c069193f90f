// The model and dataset a checkpoint was trained with, read from the run's configuration that train
// stores in the checkpoint's metadata (dnntrain.config), or from the run folder's `config` file
// beside it for a file that carries none. predict and export build their model from it.
#pragma once

#include <map>
#include <string>

#include "apps/data_setup.hpp"
#include "apps/options.hpp"
#include "data/datasets.hpp"

namespace dnntrain::apps {

struct CheckpointModel {
  ModelOptions model;  // the recorded model options (model, image size, channels, classes, stem, ...)
  DataOptions data;    // the recorded data options (dataset, preprocessing sizes, ...)
  data::DatasetKind dataset = data::DatasetKind::synthetic;
};

// `metadata` is `checkpoint`'s (dnntrain::read_metadata).
// The values are read through the same declarations as train's options (apps/option_table.hpp), so
// they are checked by the same ranges.
// throws: dnntrain::Error naming the file when neither holds a configuration, a recorded value is
//   damaged, or the model is incomplete.
CheckpointModel checkpoint_model(const std::string& checkpoint,
                                 const std::map<std::string, std::string>& metadata);

}  // namespace dnntrain::apps
