// Command-line options that name a model, shared by train, eval and bench, and their checks.
#pragma once

#include <string>

#include <dnntrain/model_spec.hpp>

#include "layers/resnet.hpp"

namespace dnntrain::apps {

struct ModelOptions {
  std::string model = "resnet18";
  int batch = 32;
  int image_size = 224;
  int in_channels = 3;
  int classes = 1000;
  std::string stem = "imagenet";
  std::string conv_algorithm = "auto";
  std::string precision = "f32";
  std::string tune = "cached";  // --tune (train and bench): how --precision auto measures
  int threads = 0;  // 0: all cores
};

class OptionTable;

// Declares --model, -b/--batch-size, --image-size, --in-channels, --classes, --stem,
// --conv-algorithm, --precision and --threads (their names, choices and ranges live here only).
void declare_model_options(OptionTable& t, ModelOptions& o);
// Declares --tune, for the commands that resolve --precision auto by measurement (train, bench).
void declare_tune_option(OptionTable& t, ModelOptions& o);
// What the declarations cannot check alone: the image size the model and stem need, and the
// size of the largest early tensor. Throws UsageError naming the options.
void check_model_options(const ModelOptions& o);
// check_model_options with the values left to the data (0, "auto") replaced by small stand-ins:
// every given value is checked before any data is read.
void check_model_options_before_data(const ModelOptions& o);
layers::ResNetConfig resnet_config(const ModelOptions& o);
// The same model for the public library (eval and predict run on a dnntrain::Predictor).
ModelSpec model_spec(const ModelOptions& o);

}  // namespace dnntrain::apps
