// Model options: registration with Boost.Program_options and range checks.
#include "apps/options.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "apps/command.hpp"
#include "apps/limits.hpp"
#include "engine/names.hpp"
#include "engine/tuning.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

bool parse_command_line(const po::options_description& desc, const std::vector<std::string>& args,
                        po::variables_map& vm, const po::positional_options_description& positional) {
  po::command_line_parser parser(args);
  parser.options(desc);
  if (positional.max_total_count() > 0) parser.positional(positional);
  const po::parsed_options parsed = parser.run();
  for (const auto& option : parsed.options)
    if (option.string_key.empty() || (option.position_key >= 0 && positional.max_total_count() == 0))
      throw UsageError(fmt::format("unexpected argument '{}'; every value follows its --option",
                                   option.value.empty() ? "" : option.value.front()));
  po::store(parsed, vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return false;
  }
  return true;
}

void add_model_options(po::options_description& desc, ModelOptions& o) {
  const std::string models = "model: " + engine::name_list(layers::resnet_models());
  desc.add_options()("model", po::value(&o.model)->default_value(o.model), models.c_str())(
      "batch-size,b", po::value(&o.batch)->default_value(o.batch), "images per step")(
      "image-size", po::value(&o.image_size)->default_value(o.image_size), "input height and width")(
      "in-channels", po::value(&o.in_channels)->default_value(o.in_channels), "input channels (1: grayscale)")(
      "classes", po::value(&o.classes)->default_value(o.classes), "number of classes")(
      "stem", po::value(&o.stem)->default_value(o.stem),
      "imagenet (7x7/2 conv + max pool) or cifar (3x3/1 conv); ImageNet ResNets only")(
      "conv-algorithm", po::value(&o.conv_algorithm)->default_value(o.conv_algorithm),
      "auto (direct: the most exact), direct, or winograd (3x3 stride-1 layers where oneDNN has "
      "it for training, which oneDNN 3 on x86 does not: there it falls back to direct)")(
      "precision", po::value(&o.precision)->default_value(o.precision),
      "f32, bf16 (bf16 activations, gradients and weight copies; f32 master weights, optimizer state, "
      "classifier and loss), or auto (train and bench: whichever trains faster here, measured; see --tune)")(
      "threads", po::value(&o.threads)->default_value(o.threads), "compute threads (0: all cores)");
}

void add_tune_option(po::options_description& desc, ModelOptions& o) {
  desc.add_options()("tune", po::value(&o.tune)->default_value(o.tune),
                     "--precision auto: cached (the choice stored in $XDG_CACHE_HOME/dnntrain/wisdom.txt for "
                     "this machine and model, else measure and store it), force (measure again), or off "
                     "(no measuring: f32)");
}

void check_model_options(const ModelOptions& o) {
  if (!engine::find_row(layers::resnet_models(), o.model))
    throw UsageError(fmt::format("--model: unknown model '{}'; choose one of {}", o.model,
                                 engine::name_list(layers::resnet_models())));
  if (o.batch < 1) throw UsageError(fmt::format("--batch-size must be at least 1, got {}", o.batch));
  if (!engine::find_named(layers::kStemNames, o.stem))
    throw UsageError(
        fmt::format("--stem must be {}, got '{}'", engine::name_list(layers::kStemNames), o.stem));
  const int min_size = layers::min_image_size(resnet_config(o));
  if (o.image_size < min_size || o.image_size > kMaxImageSize)
    throw UsageError(fmt::format("--image-size must be in [{}, {}] for {} with the {} stem, got {}", min_size,
                                 kMaxImageSize, o.model, o.stem, o.image_size));
  if (o.in_channels < 1 || o.in_channels > kMaxInChannels)
    throw UsageError(fmt::format("--in-channels must be in [1, {}], got {}", kMaxInChannels, o.in_channels));
  if (o.classes < 1 || o.classes > kMaxClasses)
    throw UsageError(fmt::format("--classes must be in [1, {}], got {}", kMaxClasses, o.classes));
  // The largest early tensors: the input, and the stem's 64-channel output (stride 2 for the
  // ImageNet stem, 1 for the CIFAR one); also the logits.
  const int64_t stem_size =
      resnet_config(o).stem == layers::Stem::cifar ? o.image_size : (o.image_size + 1) / 2;
  const auto input = checked_product({o.batch, o.in_channels, o.image_size, o.image_size});
  const auto stem = checked_product({o.batch, 64, stem_size, stem_size});
  const auto logits = checked_product({o.batch, o.classes});
  if (!input || !stem || !logits || *input > kMaxActivation || *stem > kMaxActivation ||
      *logits > kMaxActivation)
    throw UsageError(fmt::format(
        "--batch-size {} with --image-size {}, --in-channels {} and --classes {} needs tensors of more "
        "than {} values; lower --batch-size or --image-size",
        o.batch, o.image_size, o.in_channels, o.classes, kMaxActivation));
  if (!engine::find_named(layers::kConvAlgorithmNames, o.conv_algorithm))
    throw UsageError(fmt::format("--conv-algorithm must be {}, got '{}'",
                                 engine::name_list(layers::kConvAlgorithmNames), o.conv_algorithm));
  if (!engine::find_named(engine::kPrecisionNames, o.precision))
    throw UsageError(fmt::format("--precision must be {}, got '{}'", engine::name_list(engine::kPrecisionNames),
                                 o.precision));
  if (!engine::find_named(engine::kTuneModeNames, o.tune))
    throw UsageError(
        fmt::format("--tune must be {}, got '{}'", engine::name_list(engine::kTuneModeNames), o.tune));
  check_threads(o.threads);
}

void check_model_options_before_data(const ModelOptions& o) {
  if (o.image_size < 0 || o.in_channels < 0 || o.classes < 0)
    throw UsageError("--image-size, --in-channels and --classes must be >= 0 (0: from the dataset)");
  ModelOptions m = o;  // zeros and "auto" stand for small stand-ins until the data fills them in
  if (m.model == "auto") m.model = "resnet20";
  if (m.image_size == 0) m.image_size = 32;
  if (m.in_channels == 0) m.in_channels = 1;
  if (m.classes == 0) m.classes = 10;
  check_model_options(m);
}

void check_threads(int threads) {
  const int hardware = hardware_threads();
  if (threads < 0 || threads > hardware)
    throw UsageError(
        fmt::format("--threads must be in [0, {}] (0: all; this machine runs {} hardware threads), got {}",
                    hardware, hardware, threads));
}

layers::ResNetConfig resnet_config(const ModelOptions& o) {
  layers::ResNetConfig c;
  c.model = o.model;
  c.batch = o.batch;
  c.image_size = o.image_size;
  c.in_channels = o.in_channels;
  c.classes = o.classes;
  // Unknown names (refused by check_model_options) fall back to the defaults.
  c.stem = engine::find_named(layers::kStemNames, o.stem).value_or(layers::Stem::imagenet);
  c.conv_algorithm = engine::find_named(layers::kConvAlgorithmNames, o.conv_algorithm)
                         .value_or(layers::Conv2dOptions::Algorithm::automatic);
  c.precision = engine::resolve(
      engine::find_named(engine::kPrecisionNames, o.precision).value_or(engine::PrecisionChoice::f32));
  return c;
}

ModelSpec model_spec(const ModelOptions& o) {
  return {.model = o.model,
          .classes = o.classes,
          .in_channels = o.in_channels,
          .image_size = o.image_size,
          .stem = o.stem,
          .precision = o.precision,
          .conv_algorithm = o.conv_algorithm};
}

}  // namespace dnntrain::apps
