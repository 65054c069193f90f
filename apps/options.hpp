// Command-line options that name a model, shared by train, eval and bench, and their checks.
#pragma once

#include <string>

#include <boost/program_options/options_description.hpp>

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
  int threads = 0;  // 0: all cores
};

void add_model_options(boost::program_options::options_description& desc, ModelOptions& o);
// Throws UsageError naming the option when a value is out of range or unknown.
void check_model_options(const ModelOptions& o);
layers::ResNetConfig resnet_config(const ModelOptions& o);

}  // namespace dnntrain::apps
