// The model and dataset a checkpoint was trained with, read from the run's configuration that train
// stores in the checkpoint's metadata (dnntrain.config), or from the run folder's `config` file
// beside it for a file that carries none. predict and export build their model from it.
#pragma once

#include <map>
#include <string>

#include "apps/options.hpp"
#include "data/datasets.hpp"

namespace dnntrain::apps {

struct CheckpointModel {
  ModelOptions model;  // model, image_size, in_channels, classes, stem; the rest at their defaults
  data::DatasetKind dataset = data::DatasetKind::synthetic;
};

// `metadata` is `checkpoint`'s (dnntrain::read_metadata).
// throws: dnntrain::Error naming the file when neither holds a configuration, or a value is
//   missing or not an integer.
CheckpointModel checkpoint_model(const std::string& checkpoint,
                                 const std::map<std::string, std::string>& metadata);

}  // namespace dnntrain::apps
