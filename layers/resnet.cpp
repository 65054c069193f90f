// ResNet composition: stem, stages of BasicBlocks or Bottlenecks with projection shortcuts where
// stride or width changes, global average pool, fc, loss. Stride sits on the 3×3 conv ("v1.5").
#include "layers/resnet.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "layers/add.hpp"
#include "layers/batch_norm.hpp"
#include "layers/linear.hpp"
#include "layers/pooling.hpp"

namespace dnntrain::layers {

using engine::TensorId;

namespace {

class Builder {
 public:
  Builder(engine::Graph& graph, const ResNetConfig& config) : g_(graph), config_(config) {}

  TensorId conv_bn(const std::string& conv, const std::string& bn, TensorId x, int in, int out, int kernel,
                   int stride, bool relu, bool zero_gamma = false) {
    TensorId y;
    g_.emplace<Conv2d>({x}, &y, conv,
                       Conv2dOptions{in, out, kernel, stride, kernel / 2, false, config_.conv_algorithm});
    BatchNorm& norm =
        g_.emplace<BatchNorm>({y}, &y, bn, BatchNormOptions{out, relu, 1e-5f, 0.1f, config_.freeze_bn});
    if (zero_gamma) zero_gammas_.push_back(&norm);
    return y;
  }

  TensorId block(const std::string& name, TensorId x, int in, int width, int stride, bool bottleneck) {
    const int out = bottleneck ? width * 4 : width;
    const bool zero = config_.zero_init_residual;
    TensorId y;
    if (bottleneck) {
      y = conv_bn(name + ".conv1", name + ".bn1", x, in, width, 1, 1, true);
      y = conv_bn(name + ".conv2", name + ".bn2", y, width, width, 3, stride, true);
      y = conv_bn(name + ".conv3", name + ".bn3", y, width, out, 1, 1, false, zero);
    } else {
      y = conv_bn(name + ".conv1", name + ".bn1", x, in, width, 3, stride, true);
      y = conv_bn(name + ".conv2", name + ".bn2", y, width, width, 3, 1, false, zero);
    }
    TensorId shortcut = x;
    if (stride != 1 || in != out)
      shortcut = conv_bn(name + ".downsample.0", name + ".downsample.1", x, in, out, 1, stride, false);
    TensorId sum;
    g_.emplace<Add>({y, shortcut}, &sum, name + ".add", true);
    return sum;
  }

  const std::vector<BatchNorm*>& zero_gammas() const { return zero_gammas_; }

 private:
  engine::Graph& g_;
  const ResNetConfig& config_;
  std::vector<BatchNorm*> zero_gammas_;
};

}  // namespace

int min_image_size(const ResNetConfig& config) {
  if (resnet_architecture(config.model).cifar_family) return 4;
  return config.stem == Stem::imagenet ? 32 : 8;
}

Model::Model(engine::Context& context, const ResNetConfig& config, engine::GraphOptions options)
    : config_(config), graph_(context, options) {
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

  input_ = graph_.input({config.batch, config.in_channels, config.image_size, config.image_size});
  Builder b(graph_, config);
  TensorId x;
  int channels = arch.widths[0];
  if (arch.cifar_family || config.stem == Stem::cifar) {
    x = b.conv_bn("conv1", "bn1", input_, config.in_channels, channels, 3, 1, true);
  } else {
    x = b.conv_bn("conv1", "bn1", input_, config.in_channels, channels, 7, 2, true);
    graph_.emplace<MaxPool>({x}, &x, "maxpool", 3, 2, 1);
  }
  for (size_t stage = 0; stage < arch.blocks.size(); ++stage) {
    for (int i = 0; i < arch.blocks[stage]; ++i) {
      const int stride = (stage > 0 && i == 0) ? 2 : 1;
      const int width = arch.widths[stage];
      x = b.block(fmt::format("layer{}.{}", stage + 1, i), x, channels, width, stride, arch.bottleneck);
      channels = arch.bottleneck ? width * 4 : width;
    }
  }
  graph_.emplace<GlobalAvgPool>({x}, &x, "avgpool");
  graph_.emplace<Linear>({x}, &logits_, "fc", channels, config.classes);
  loss_ = &graph_.emplace<SoftmaxCrossEntropy>({logits_}, nullptr, "loss", config.label_smoothing);
  graph_.plan();
  for (BatchNorm* norm : b.zero_gammas()) norm->weight().init = engine::Init::constant(0.f);
}

}  // namespace dnntrain::layers
