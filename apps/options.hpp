// Command-line options that name a model, shared by train, eval and bench, and their checks.
#pragma once

#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

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

// Parses `args` into `vm` (stored, not yet notified), bare words as `positional` says. Returns false
// after printing the options when --help was given: the command then exits 0.
bool parse_command_line(const boost::program_options::options_description& desc,
                        const std::vector<std::string>& args, boost::program_options::variables_map& vm,
                        const boost::program_options::positional_options_description& positional = {});

void add_model_options(boost::program_options::options_description& desc, ModelOptions& o);
// --tune, for the commands that resolve --precision auto by measurement (train, bench).
void add_tune_option(boost::program_options::options_description& desc, ModelOptions& o);
// Throws UsageError naming the option when a value is out of range or unknown.
void check_model_options(const ModelOptions& o);
// check_model_options with the values left to the data (0, "auto") replaced by small stand-ins:
// every given value is checked before any data is read.
void check_model_options_before_data(const ModelOptions& o);
// --threads: 0 (all) up to the hardware threads this process may use; more only oversubscribes.
void check_threads(int threads);
layers::ResNetConfig resnet_config(const ModelOptions& o);
// The same model for the public library (eval and predict run on a dnntrain::Predictor).
ModelSpec model_spec(const ModelOptions& o);

}  // namespace dnntrain::apps
