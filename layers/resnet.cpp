// ResNet composition: stem, stages of BasicBlocks or Bottlenecks with projection shortcuts where
// stride or width changes, global average pool, fc, loss. Stride sits on the 3×3 conv ("v1.5").
#include "layers/resnet.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "layers/add.hpp"
#include "layers/batch_norm.hpp"
#include "layers/convert.hpp"
#include "layers/linear.hpp"
#include "layers/pooling.hpp"

namespace dnntrain::layers {

using engine::TensorId;

namespace {

// A convolution without bias and the batch norm after it, as torchvision pairs them.
struct ConvBn {
  int in = 0, out = 0, kernel = 3, stride = 1;
  bool relu = false;                                 // the ReLU after the batch norm, fused into it
  engine::Init gamma = engine::Init::constant(1.f);  // the batch norm's weight
};

class Builder {
 public:
  Builder(engine::Graph& graph, const ResNetConfig& config) : g_(graph), config_(config) {}

  TensorId conv_bn(const std::string& conv, const std::string& bn, TensorId x, ConvBn o) {
    TensorId y = g_.add<Conv2d>(conv, {x},
                                {.in_channels = o.in,
                                 .out_channels = o.out,
                                 .kernel = o.kernel,
                                 .stride = o.stride,
                                 .padding = o.kernel / 2,
                                 .algorithm = config_.conv_algorithm});
    return g_.add<BatchNorm>(
        bn, {y}, {.channels = o.out, .relu = o.relu, .frozen = config_.freeze_bn, .weight_init = o.gamma});
  }

  // torchvision's BasicBlock: conv3x3 (stride) → bn → relu → conv3x3 → bn, + shortcut, → relu.
  TensorId basic_block(const std::string& name, TensorId x, int in, int width, int stride) {
    TensorId out = conv_bn(name + ".conv1", name + ".bn1", x,
                           {.in = in, .out = width, .kernel = 3, .stride = stride, .relu = true});
    out = conv_bn(name + ".conv2", name + ".bn2", out,
                  {.in = width, .out = width, .kernel = 3, .gamma = residual_gamma()});
    return residual(name, out, x, in, width, stride);
  }

  // torchvision's Bottleneck: conv1x1 → bn → relu → conv3x3 (stride) → bn → relu → conv1x1 (4×
  // width) → bn, + shortcut, → relu.
  TensorId bottleneck(const std::string& name, TensorId x, int in, int width, int stride) {
    TensorId out =
        conv_bn(name + ".conv1", name + ".bn1", x, {.in = in, .out = width, .kernel = 1, .relu = true});
    out = conv_bn(name + ".conv2", name + ".bn2", out,
                  {.in = width, .out = width, .kernel = 3, .stride = stride, .relu = true});
    out = conv_bn(name + ".conv3", name + ".bn3", out,
                  {.in = width, .out = 4 * width, .kernel = 1, .gamma = residual_gamma()});
    return residual(name, out, x, in, 4 * width, stride);
  }

 private:
  // relu(out + shortcut), the shortcut a 1×1 conv and bn (`downsample`) where stride or width change.
  TensorId residual(const std::string& name, TensorId out, TensorId x, int in, int channels, int stride) {
    TensorId identity = x;
    if (stride != 1 || in != channels)
      identity = conv_bn(name + ".downsample.0", name + ".downsample.1", x,
                         {.in = in, .out = channels, .kernel = 1, .stride = stride});
    return g_.add<Add>(name + ".add", {out, identity}, {.relu = true});
  }

  // The last batch norm of a residual branch: gamma 0 with zero_init_residual, so the block starts
  // as its shortcut.
  engine::Init residual_gamma() const {
    return engine::Init::constant(config_.zero_init_residual ? 0.f : 1.f);
  }

  engine::Graph& g_;
  const ResNetConfig& config_;
};

}  // namespace

int min_image_size(const ResNetConfig& config) {
  if (resnet_architecture(config.model).cifar_family) return 4;
  return config.stem == Stem::imagenet ? 32 : 8;
}

ResNetArchitecture checked_architecture(const ResNetConfig& config) {
  ResNetArchitecture arch = resnet_architecture(config.model);
  if (!config.stage_blocks.empty()) {
    DNNTRAIN_CHECK(config.stage_blocks.size() == arch.blocks.size(),
                   fmt::format("{} has {} stages; {} block counts given", config.model, arch.blocks.size(),
                               config.stage_blocks.size()));
    for (int n : config.stage_blocks)
      DNNTRAIN_CHECK(n > 0, fmt::format("every stage needs at least one block, got {}", n));
    arch.blocks = config.stage_blocks;
  }
  DNNTRAIN_CHECK(config.classes > 0, fmt::format("the number of classes must be positive, got {}", config.classes));
  DNNTRAIN_CHECK(config.batch > 0, fmt::format("the batch size must be positive, got {}", config.batch));
  DNNTRAIN_CHECK(config.in_channels > 0,
                 fmt::format("input channels must be positive, got {}", config.in_channels));
  DNNTRAIN_CHECK(config.image_size > 0, fmt::format("the image size must be positive, got {}", config.image_size));
  // The input must survive every stride-2 step with a map of at least 1×1.
  const int downsampling = min_image_size(config);
  DNNTRAIN_CHECK(config.image_size >= downsampling,
                 fmt::format("{} with a {} stem needs images of at least {}x{}, got {}x{}", config.model,
                             config.stem == Stem::imagenet && !arch.cifar_family ? "imagenet" : "cifar",
                             downsampling, downsampling, config.image_size, config.image_size));
  return arch;
}

Model::Model(engine::Context& context, const ResNetConfig& config, engine::GraphOptions options)
    : config_(config), graph_(context, options) {
  const ResNetArchitecture arch = checked_architecture(config);
  input_ = graph_.input({config.batch, config.in_channels, config.image_size, config.image_size});
  Builder b(graph_, config);
  const bool bf16 = config.precision == engine::Precision::bf16;
  const TensorId images =
      bf16 ? graph_.add<Convert>("input_bf16", {input_}, {.to = engine::activation_type(config.precision)}) : input_;
  TensorId x;
  int channels = arch.widths[0];
  if (arch.cifar_family || config.stem == Stem::cifar) {
    x = b.conv_bn("conv1", "bn1", images,
                  {.in = config.in_channels, .out = channels, .kernel = 3, .relu = true});
  } else {
    x = b.conv_bn("conv1", "bn1", images,
                  {.in = config.in_channels, .out = channels, .kernel = 7, .stride = 2, .relu = true});
    x = graph_.add<MaxPool>("maxpool", {x}, {.kernel = 3, .stride = 2, .padding = 1});
  }
  for (size_t stage = 0; stage < arch.blocks.size(); ++stage) {
    for (int i = 0; i < arch.blocks[stage]; ++i) {
      const int stride = (stage > 0 && i == 0) ? 2 : 1;
      const int width = arch.widths[stage];
      const std::string name = fmt::format("layer{}.{}", stage + 1, i);
      x = arch.bottleneck ? b.bottleneck(name, x, channels, width, stride)
                          : b.basic_block(name, x, channels, width, stride);
      channels = arch.bottleneck ? width * 4 : width;
    }
  }
  x = graph_.add<GlobalAvgPool>("avgpool", {x});
  if (bf16) x = graph_.add<Convert>("features_f32", {x}, {.to = dnnl::memory::data_type::f32});
  logits_ = graph_.add<Linear>("fc", {x}, {.in_features = channels, .out_features = config.classes});
  graph_.add<SoftmaxCrossEntropy>("loss", {logits_}, {.label_smoothing = config.label_smoothing});
  loss_ = &graph_.layer<SoftmaxCrossEntropy>("loss");
  graph_.plan();
}

}  // namespace dnntrain::layers
