// Model options: their declarations, and the checks that involve more than one of them.
#include "apps/options.hpp"

#include <fmt/format.h>


#include "apps/command.hpp"
#include "apps/limits.hpp"
#include "apps/option_table.hpp"
#include "engine/names.hpp"
#include "engine/tuning.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

void declare_model_options(OptionTable& t, ModelOptions& o) {
  t.add("model", o.model)
      .help("the ResNet (auto: resnet20 for 28/32-pixel in-memory sets, resnet18 otherwise)")
      .choices([] {
        std::vector<std::string> names{"auto"};
        for (const auto& row : layers::resnet_models()) names.emplace_back(row.name);
        return names;
      }())
      .from_checkpoint(FromCheckpoint::model);
  t.add("batch-size", o.batch)
      .alias("b")
      .help("images per step (per rank under mpirun)")
      .range(1, kMaxActivation)
      .on_resume(OnResume::may_change, "the position is rescaled to the new global batch");
  t.add("image-size", o.image_size)
      .help("the model's input height and width (0: from the dataset; image folders: 224)")
      .range(0, kMaxImageSize)
      .from_checkpoint(FromCheckpoint::model);
  t.add("in-channels", o.in_channels)
      .help("input channels (0: from the dataset)")
      .range(0, kMaxInChannels)
      .from_checkpoint(FromCheckpoint::model);
  t.add("classes", o.classes)
      .help("number of classes (0: from the dataset)")
      .range(0, kMaxClasses)
      .from_checkpoint(FromCheckpoint::model);
  t.add("stem", o.stem)
      .help("imagenet (7x7/2 conv + max pool) or cifar (3x3/1 conv); ImageNet ResNets only")
      .choices(names_of(layers::kStemNames))
      .from_checkpoint(FromCheckpoint::model);
  t.add("conv-algorithm", o.conv_algorithm)
      .help("auto (direct: the most exact), direct, or winograd (3x3 stride-1 layers where oneDNN has it for "
            "training, which oneDNN 3 on x86 does not: there it falls back to direct)")
      .choices(names_of(layers::kConvAlgorithmNames));
  t.add("precision", o.precision)
      .help("f32, bf16 (bf16 activations, gradients and weight copies; f32 master weights, optimizer state, "
            "classifier and loss), or auto (train and bench: whichever trains faster here, measured; see --tune)")
      .choices(names_of(engine::kPrecisionNames));
  t.add("threads", o.threads)
      .help("compute threads (0: all cores)")
      .range(0, hardware_threads())
      .on_resume(OnResume::may_change, "resume is bitwise exact with the same count")
      .per_rank();
}

void declare_tune_option(OptionTable& t, ModelOptions& o) {
  t.add("tune", o.tune)
      .help("--precision auto: cached (the choice stored in $XDG_CACHE_HOME/dnntrain/wisdom.txt for this machine "
            "and model, else measure and store it), force (measure again), or off (no measuring: f32)")
      .choices(names_of(engine::kTuneModeNames))
      .on_resume(OnResume::may_change, "a resume takes the precision recorded in the checkpoint");
}

void check_model_options(const ModelOptions& o) {
  if (!engine::find_row(layers::resnet_models(), o.model))
    throw UsageError(fmt::format("--model: unknown model '{}'; choose one of {}", o.model,
                                 engine::name_list(layers::resnet_models())));
  const int min_size = layers::min_image_size(resnet_config(o));
  if (o.image_size < min_size || o.image_size > kMaxImageSize)
    throw UsageError(fmt::format("--image-size must be in [{}, {}] for {} with the {} stem, got {}", min_size,
                                 kMaxImageSize, o.model, o.stem, o.image_size));
  if (o.in_channels < 1 || o.classes < 1)
    throw UsageError(fmt::format("--in-channels and --classes must be at least 1, got {} and {}", o.in_channels,
                                 o.classes));
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
}

void check_model_options_before_data(const ModelOptions& o) {
  ModelOptions m = o;  // zeros and "auto" stand for small stand-ins until the data fills them in
  if (m.model == "auto") m.model = "resnet20";
  if (m.image_size == 0) m.image_size = 32;
  if (m.in_channels == 0) m.in_channels = 1;
  if (m.classes == 0) m.classes = 10;
  check_model_options(m);
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
