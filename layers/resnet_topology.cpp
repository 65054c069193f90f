// ResNet composition as data: stem, stages of BasicBlocks or Bottlenecks with projection shortcuts
// where stride or width changes, global average pool, fc. Stride sits on the 3×3 conv ("v1.5").
#include "layers/resnet_topology.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "layers/resnet_models.hpp"

namespace dnntrain::layers {

namespace {

using Kind = ResNetNode::Kind;

class Builder {
 public:
  // A convolution without bias and the batch norm after it, as torchvision pairs them.
  int conv_bn(const std::string& conv, const std::string& bn, int x, int in, int out, int kernel, int stride,
              bool relu, bool residual_bn = false) {
    return push({.kind = Kind::conv_bn,
                 .name = conv,
                 .bn = bn,
                 .inputs = {x},
                 .in = in,
                 .out = out,
                 .kernel = kernel,
                 .stride = stride,
                 .padding = kernel / 2,
                 .relu = relu,
                 .residual_bn = residual_bn});
  }

  // torchvision's BasicBlock: conv3x3 (stride) → bn → relu → conv3x3 → bn, + shortcut, → relu.
  int basic_block(const std::string& name, int x, int in, int width, int stride) {
    int out = conv_bn(name + ".conv1", name + ".bn1", x, in, width, 3, stride, true);
    out = conv_bn(name + ".conv2", name + ".bn2", out, width, width, 3, 1, false, true);
    return residual(name, out, x, in, width, stride);
  }

  // torchvision's Bottleneck: conv1x1 → bn → relu → conv3x3 (stride) → bn → relu → conv1x1 (4×
  // width) → bn, + shortcut, → relu.
  int bottleneck(const std::string& name, int x, int in, int width, int stride) {
    int out = conv_bn(name + ".conv1", name + ".bn1", x, in, width, 1, 1, true);
    out = conv_bn(name + ".conv2", name + ".bn2", out, width, width, 3, stride, true);
    out = conv_bn(name + ".conv3", name + ".bn3", out, width, 4 * width, 1, 1, false, true);
    return residual(name, out, x, in, 4 * width, stride);
  }

  int push(ResNetNode node) {
    node.stage = stage_;
    nodes_.push_back(std::move(node));
    return static_cast<int>(nodes_.size()) - 1;
  }

  std::vector<ResNetNode> take() { return std::move(nodes_); }
  void begin_stage(int stage) { stage_ = stage; }  // the stage of the nodes pushed from now on

 private:
  // relu(out + shortcut), the shortcut a 1×1 conv and bn (`downsample`) where stride or width change.
  int residual(const std::string& name, int out, int x, int in, int channels, int stride) {
    int identity = x;
    if (stride != 1 || in != channels)
      identity = conv_bn(name + ".downsample.0", name + ".downsample.1", x, in, channels, 1, stride, false);
    return push({.kind = Kind::add_relu,
                 .name = name + ".add",
                 .inputs = {out, identity},
                 .in = channels,
                 .out = channels});
  }

  std::vector<ResNetNode> nodes_;
  int stage_ = 0;
};

}  // namespace

std::vector<ResNetNode> resnet_topology(const TopologySpec& spec) {
  ResNetArchitecture arch = resnet_architecture(spec.model);
  if (!spec.stage_blocks.empty()) {
    DNNTRAIN_CHECK(spec.stage_blocks.size() == arch.blocks.size(),
                   fmt::format("{} has {} stages; {} block counts given", spec.model, arch.blocks.size(),
                               spec.stage_blocks.size()));
    for (int n : spec.stage_blocks)
      DNNTRAIN_CHECK(n > 0, fmt::format("every stage needs at least one block, got {}", n));
    arch.blocks = spec.stage_blocks;
  }
  DNNTRAIN_CHECK(spec.classes > 0,
                 fmt::format("the number of classes must be positive, got {}", spec.classes));
  DNNTRAIN_CHECK(spec.in_channels > 0,
                 fmt::format("input channels must be positive, got {}", spec.in_channels));

  Builder b;
  int x;
  int channels = arch.widths[0];
  if (arch.cifar_family || spec.stem == Stem::cifar) {
    x = b.conv_bn("conv1", "bn1", kGraphInput, spec.in_channels, channels, 3, 1, true);
  } else {
    x = b.conv_bn("conv1", "bn1", kGraphInput, spec.in_channels, channels, 7, 2, true);
    x = b.push({.kind = Kind::max_pool,
                .name = "maxpool",
                .inputs = {x},
                .in = channels,
                .out = channels,
                .kernel = 3,
                .stride = 2,
                .padding = 1});
  }
  for (size_t stage = 0; stage < arch.blocks.size(); ++stage) {
    b.begin_stage(static_cast<int>(stage) + 1);
    for (int i = 0; i < arch.blocks[stage]; ++i) {
      const int stride = (stage > 0 && i == 0) ? 2 : 1;
      const int width = arch.widths[stage];
      const std::string name = fmt::format("layer{}.{}", stage + 1, i);
      x = arch.bottleneck ? b.bottleneck(name, x, channels, width, stride)
                          : b.basic_block(name, x, channels, width, stride);
      channels = arch.bottleneck ? width * 4 : width;
    }
  }
  b.begin_stage(static_cast<int>(arch.blocks.size()) + 1);
  x = b.push(
      {.kind = Kind::global_avg_pool, .name = "avgpool", .inputs = {x}, .in = channels, .out = channels});
  b.push({.kind = Kind::linear, .name = "fc", .inputs = {x}, .in = channels, .out = spec.classes});
  return b.take();
}

}  // namespace dnntrain::layers
