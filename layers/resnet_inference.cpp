// ResNet inference plans: the blocks of resnet.cpp with every batch norm folded into its convolution;
// a block's shortcut is planned first so that the branch's last convolution can add it as a post-op.
#include "layers/resnet_inference.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

#include "engine/checkpoint/tensor_io.hpp"
#include "engine/error.hpp"
#include "layers/batch_norm.hpp"
#include "layers/batch_norm_fold.hpp"

namespace dnntrain::layers {

using engine::TensorId;

namespace {

struct ConvBn {
  int in = 0, out = 0, kernel = 3, stride = 1;
  bool relu = false;
  TensorId residual = {};  // added before the ReLU
};

class Builder {
 public:
  Builder(engine::InferencePlan& plan, const StateTensors& state) : plan_(plan), state_(state) {}

  std::span<const float> at(const std::string& key, size_t values) const {
    const auto it = state_.find(key);
    DNNTRAIN_CHECK(it != state_.end(), fmt::format("inference plan: the state has no '{}'", key));
    DNNTRAIN_CHECK(it->second.size() == values,
                   fmt::format("inference plan: '{}' has {} values, the model needs {}", key,
                               it->second.size(), values));
    return it->second;
  }

  TensorId conv_bn(const std::string& conv, const std::string& bn, TensorId x, ConvBn o) {
    const auto c = static_cast<size_t>(o.out);
    const FoldedConv folded = fold_batch_norm(at(conv + ".weight", c * o.in * o.kernel * o.kernel), {}, o.out,
                                              at(bn + ".weight", c), at(bn + ".bias", c),
                                              at(bn + ".running_mean", c), at(bn + ".running_var", c), kEps);
    return plan_.conv(conv, x, folded.weights, folded.bias,
                      {.out_channels = o.out,
                       .kernel = o.kernel,
                       .stride = o.stride,
                       .padding = o.kernel / 2,
                       .residual = o.residual,
                       .relu = o.relu});
  }

  // torchvision's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut).
  TensorId basic_block(const std::string& name, TensorId x, int in, int width, int stride) {
    const TensorId shortcut = downsample(name, x, in, width, stride);
    TensorId out = conv_bn(name + ".conv1", name + ".bn1", x,
                           {.in = in, .out = width, .kernel = 3, .stride = stride, .relu = true});
    return conv_bn(name + ".conv2", name + ".bn2", out,
                   {.in = width, .out = width, .kernel = 3, .relu = true, .residual = shortcut});
  }

  // torchvision's Bottleneck: 1×1, 3×3 (stride), 1×1 to 4× width, + shortcut, relu.
  TensorId bottleneck(const std::string& name, TensorId x, int in, int width, int stride) {
    const TensorId shortcut = downsample(name, x, in, 4 * width, stride);
    TensorId out =
        conv_bn(name + ".conv1", name + ".bn1", x, {.in = in, .out = width, .kernel = 1, .relu = true});
    out = conv_bn(name + ".conv2", name + ".bn2", out,
                  {.in = width, .out = width, .kernel = 3, .stride = stride, .relu = true});
    return conv_bn(name + ".conv3", name + ".bn3", out,
                   {.in = width, .out = 4 * width, .kernel = 1, .relu = true, .residual = shortcut});
  }

 private:
  TensorId downsample(const std::string& name, TensorId x, int in, int channels, int stride) {
    if (stride == 1 && in == channels) return x;
    return conv_bn(name + ".downsample.0", name + ".downsample.1", x,
                   {.in = in, .out = channels, .kernel = 1, .stride = stride});
  }

  const double kEps = BatchNormOptions{}.eps;  // the training graph's
  engine::InferencePlan& plan_;
  const StateTensors& state_;
};

}  // namespace

OwnedState state_of(engine::Graph& graph) {
  OwnedState s;
  std::vector<std::string> names;
  for (const engine::Parameter* p : graph.parameters()) {
    s.values.push_back(engine::to_plain(*p, p->weight));
    names.push_back(p->name);
  }
  for (const engine::Buffer* b : graph.buffers()) {
    if (b->type != engine::Buffer::Type::f32) continue;
    s.values.emplace_back(b->f32().begin(), b->f32().end());
    names.push_back(b->name);
  }
  for (size_t i = 0; i < names.size(); ++i) s.tensors[names[i]] = s.values[i];
  return s;
}

OwnedState state_of(const engine::Safetensors& file) {
  OwnedState s;
  std::vector<std::pair<std::string, size_t>> copied;  // names of tensors copied into s.values
  for (const engine::TensorInfo& t : file.tensors()) {
    if (t.dtype != engine::DType::F32) continue;
    const std::span<const uint8_t> bytes = file.bytes(t);
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(float) == 0) {
      s.tensors[t.name] = {reinterpret_cast<const float*>(bytes.data()), bytes.size() / sizeof(float)};
    } else {
      s.values.emplace_back(bytes.size() / sizeof(float));
      std::memcpy(s.values.back().data(), bytes.data(), bytes.size());
      copied.emplace_back(t.name, s.values.size() - 1);
    }
  }
  for (const auto& [name, i] : copied) s.tensors[name] = s.values[i];
  return s;
}

std::unique_ptr<engine::InferencePlan> plan_inference(engine::Context& context, const ResNetConfig& config,
                                                      const StateTensors& state,
                                                      engine::ResidualFusion residual) {
  const ResNetArchitecture arch = checked_architecture(config);
  auto plan = std::make_unique<engine::InferencePlan>(
      context, dnnl::memory::dims{config.batch, config.in_channels, config.image_size, config.image_size},
      config.precision, residual);
  Builder b(*plan, state);
  int channels = arch.widths[0];
  TensorId x;
  if (arch.cifar_family || config.stem == Stem::cifar) {
    x = b.conv_bn("conv1", "bn1", plan->input(),
                  {.in = config.in_channels, .out = channels, .kernel = 3, .relu = true});
  } else {
    x = b.conv_bn("conv1", "bn1", plan->input(),
                  {.in = config.in_channels, .out = channels, .kernel = 7, .stride = 2, .relu = true});
    x = plan->max_pool("maxpool", x, 3, 2, 1);
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
  const auto classes = static_cast<size_t>(config.classes);
  plan->classifier("fc", x, b.at("fc.weight", classes * channels), b.at("fc.bias", classes));
  plan->finish();
  return plan;
}

}  // namespace dnntrain::layers
