// layers::Model: the graph of a ResNet, one engine layer per node of its topology
// (resnet_topology.hpp), with the bf16 conversions around it and the loss at its end.
#include "layers/resnet.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "layers/add.hpp"
#include "layers/batch_norm.hpp"
#include "layers/convert.hpp"
#include "layers/linear.hpp"
#include "layers/pooling.hpp"

namespace dnntrain::layers {

using engine::TensorId;

int min_image_size(const ResNetConfig& config) {
  if (resnet_architecture(config.model).cifar_family) return 4;
  return config.stem == Stem::imagenet ? 32 : 8;
}

bool bf16_nhwc(const ResNetConfig& config) {
  using L = ResNetConfig::Bf16Layout;
  return config.precision == engine::Precision::bf16 &&
         (config.bf16_layout == L::nhwc || (config.bf16_layout == L::automatic && engine::bf16_prefers_nhwc()));
}

std::vector<ResNetNode> checked_topology(const ResNetConfig& config) {
  std::vector<ResNetNode> nodes = resnet_topology({.model = config.model,
                                                   .classes = config.classes,
                                                   .in_channels = config.in_channels,
                                                   .stem = config.stem,
                                                   .stage_blocks = config.stage_blocks});
  DNNTRAIN_CHECK(config.batch > 0, fmt::format("the batch size must be positive, got {}", config.batch));
  DNNTRAIN_CHECK(config.image_size > 0, fmt::format("the image size must be positive, got {}", config.image_size));
  // The input must survive every stride-2 step with a map of at least 1×1.
  const int downsampling = min_image_size(config);
  DNNTRAIN_CHECK(config.image_size >= downsampling,
                 fmt::format("{} with a {} stem needs images of at least {}x{}, got {}x{}", config.model,
                             config.stem == Stem::imagenet && !resnet_architecture(config.model).cifar_family
                                 ? "imagenet"
                                 : "cifar",
                             downsampling, downsampling, config.image_size, config.image_size));
  return nodes;
}

Model::Model(engine::Context& context, const ResNetConfig& config, engine::GraphOptions options)
    : config_(config), graph_(context, options) {
  const std::vector<ResNetNode> nodes = checked_topology(config);
  input_ = graph_.input({config.batch, config.in_channels, config.image_size, config.image_size});
  const bool bf16 = config.precision == engine::Precision::bf16;
  const TensorId images =
      bf16 ? graph_.add<Convert>("input_bf16", {input_},
                                 {.to = engine::activation_type(config.precision), .nhwc = bf16_nhwc(config)})
           : input_;
  std::vector<TensorId> outputs;  // per node
  const auto in = [&](const ResNetNode& node, size_t i) {
    return node.inputs[i] == kGraphInput ? images : outputs[static_cast<size_t>(node.inputs[i])];
  };
  for (const ResNetNode& node : nodes) {
    TensorId y;
    switch (node.kind) {
      case ResNetNode::Kind::conv_bn: {
        y = graph_.add<Conv2d>(node.name, {in(node, 0)},
                               {.in_channels = node.in,
                                .out_channels = node.out,
                                .kernel = node.kernel,
                                .stride = node.stride,
                                .padding = node.padding,
                                .algorithm = config.conv_algorithm});
        // The last batch norm of a residual branch starts at gamma 0 with zero_init_residual, so
        // the block starts as its shortcut.
        const float gamma = node.residual_bn && config.zero_init_residual ? 0.f : 1.f;
        y = graph_.add<BatchNorm>(node.bn, {y},
                                  {.channels = node.out,
                                   .relu = node.relu,
                                   .eps = static_cast<float>(node.bn_eps),
                                   .frozen = config.freeze_bn,
                                   .weight_init = engine::Init::constant(gamma)});
        break;
      }
      case ResNetNode::Kind::max_pool:
        y = graph_.add<MaxPool>(node.name, {in(node, 0)},
                                {.kernel = node.kernel, .stride = node.stride, .padding = node.padding});
        break;
      case ResNetNode::Kind::add_relu:
        y = graph_.add<Add>(node.name, {in(node, 0), in(node, 1)}, {.relu = true});
        break;
      case ResNetNode::Kind::global_avg_pool:
        y = graph_.add<GlobalAvgPool>(node.name, {in(node, 0)});
        if (bf16) y = graph_.add<Convert>("features_f32", {y}, {.to = dnnl::memory::data_type::f32});
        break;
      case ResNetNode::Kind::linear:
        y = graph_.add<Linear>(node.name, {in(node, 0)}, {.in_features = node.in, .out_features = node.out});
        logits_ = y;
        break;
    }
    outputs.push_back(y);
  }
  graph_.add<SoftmaxCrossEntropy>("loss", {logits_}, {.label_smoothing = config.label_smoothing});
  loss_ = &graph_.layer<SoftmaxCrossEntropy>("loss");
  graph_.plan();
}

}  // namespace dnntrain::layers
