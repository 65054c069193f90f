// Model options: registration with Boost.Program_options and range checks.
#include "apps/options.hpp"

#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "apps/command.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

bool parse_command_line(const po::options_description& desc, const std::vector<std::string>& args,
                        po::variables_map& vm) {
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return false;
  }
  return true;
}

void add_model_options(po::options_description& desc, ModelOptions& o) {
  std::string models;
  for (const std::string& m : layers::resnet_models()) models += (models.empty() ? "" : ", ") + m;
  desc.add_options()("model", po::value(&o.model)->default_value(o.model), ("model: " + models).c_str())(
      "batch-size,b", po::value(&o.batch)->default_value(o.batch), "images per step")(
      "image-size", po::value(&o.image_size)->default_value(o.image_size), "input height and width")(
      "in-channels", po::value(&o.in_channels)->default_value(o.in_channels), "input channels (1: grayscale)")(
      "classes", po::value(&o.classes)->default_value(o.classes), "number of classes")(
      "stem", po::value(&o.stem)->default_value(o.stem),
      "imagenet (7x7/2 conv + max pool) or cifar (3x3/1 conv); ImageNet ResNets only")(
      "conv-algorithm", po::value(&o.conv_algorithm)->default_value(o.conv_algorithm),
      "auto (direct: the most exact), direct, or winograd (3x3 stride-1 layers where oneDNN has "
      "it: faster, but ~3x the rounding error of direct)")(
      "threads", po::value(&o.threads)->default_value(o.threads), "compute threads (0: all cores)");
}

void check_model_options(const ModelOptions& o) {
  const auto& models = layers::resnet_models();
  if (std::find(models.begin(), models.end(), o.model) == models.end())
    throw UsageError(fmt::format("--model: unknown model '{}'", o.model));
  if (o.batch < 1) throw UsageError(fmt::format("--batch-size must be at least 1, got {}", o.batch));
  if (o.image_size < 1) throw UsageError(fmt::format("--image-size must be at least 1, got {}", o.image_size));
  if (o.in_channels < 1) throw UsageError(fmt::format("--in-channels must be at least 1, got {}", o.in_channels));
  if (o.classes < 1) throw UsageError(fmt::format("--classes must be at least 1, got {}", o.classes));
  if (o.stem != "imagenet" && o.stem != "cifar")
    throw UsageError(fmt::format("--stem must be imagenet or cifar, got '{}'", o.stem));
  if (o.conv_algorithm != "auto" && o.conv_algorithm != "direct" && o.conv_algorithm != "winograd")
    throw UsageError(fmt::format("--conv-algorithm must be auto, direct or winograd, got '{}'", o.conv_algorithm));
  if (o.threads < 0) throw UsageError(fmt::format("--threads must be >= 0, got {}", o.threads));
}

layers::ResNetConfig resnet_config(const ModelOptions& o) {
  layers::ResNetConfig c;
  c.model = o.model;
  c.batch = o.batch;
  c.image_size = o.image_size;
  c.in_channels = o.in_channels;
  c.classes = o.classes;
  c.stem = o.stem == "cifar" ? layers::Stem::cifar : layers::Stem::imagenet;
  using A = layers::Conv2dOptions::Algorithm;
  c.conv_algorithm = o.conv_algorithm == "winograd" ? A::winograd : o.conv_algorithm == "direct" ? A::direct : A::automatic;
  return c;
}

}  // namespace dnntrain::apps
