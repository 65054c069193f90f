// ResNet inference plans: the nodes of resnet_topology (the training graph's) with every batch norm
// folded into its convolution, and each residual sum and its ReLU as post-ops of a convolution.
#include "layers/resnet_inference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "engine/checkpoint/tensor_io.hpp"
#include "engine/cpu_caches.hpp"
#include "engine/error.hpp"
#include "layers/batch_norm_fold.hpp"

namespace dnntrain::layers {

using engine::TensorId;

namespace {

// The state tensor `key`, which must hold `values` floats.
std::span<const float> at(const StateTensors& state, const std::string& key, size_t values) {
  const auto it = state.find(key);
  DNNTRAIN_CHECK(it != state.end(), fmt::format("inference plan: the state has no '{}'", key));
  DNNTRAIN_CHECK(it->second.size() == values, fmt::format("inference plan: '{}' has {} values, the model needs {}",
                                                          key, it->second.size(), values));
  return it->second;
}

// For each residual sum (add_relu), the convolution that takes it as post-ops: the later of its two
// inputs in execution order, so that the other one (the block's input, or the other branch) already
// exists when that convolution runs. Returns, per node, the add it absorbs (or -1).
std::vector<int> absorbed_adds(const std::vector<ResNetNode>& nodes) {
  std::vector<int> absorbs(nodes.size(), -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind != ResNetNode::Kind::add_relu) continue;
    const int later = std::max(nodes[i].inputs[0], nodes[i].inputs[1]);
    DNNTRAIN_CHECK(later >= 0 && nodes[static_cast<size_t>(later)].kind == ResNetNode::Kind::conv_bn &&
                       !nodes[static_cast<size_t>(later)].relu,
                   fmt::format("inference plan: the sum {} does not follow a convolution", nodes[i].name));
    absorbs[static_cast<size_t>(later)] = static_cast<int>(i);
  }
  return absorbs;
}

// The index of the last node of the stem and of the first `stages` residual stages (stages only
// grow along the nodes; the last, the pools' and the classifier's, never belongs).
size_t head_end(const std::vector<ResNetNode>& nodes, int stages) {
  stages = std::min(stages, nodes.back().stage - 1);
  size_t end = 0;
  while (end + 1 < nodes.size() && nodes[end + 1].stage <= stages) ++end;
  return end;
}
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
                                                      engine::ResidualFusion residual,
                                                      std::optional<MicroBatching> micro_batching) {
  const std::vector<ResNetNode> nodes = checked_topology(config);
  const std::vector<int> absorbs = absorbed_adds(nodes);
  const MicroBatching micro =
      micro_batching ? *micro_batching
                     : choose_micro_batching(config, nodes, engine::cpu_cache_bytes(2) * context.threads(),
                                                            context.threads());
  const size_t join_after = micro.images > 0 ? head_end(nodes, micro.stages) : nodes.size();
  auto plan = std::make_unique<engine::InferencePlan>(
      context, dnnl::memory::dims{config.batch, config.in_channels, config.image_size, config.image_size},
      config.precision, residual, micro.images);
  std::vector<TensorId> outputs(nodes.size());  // per node; an absorbed add's is its convolution's
  const auto in = [&](const ResNetNode& node, size_t i) {
    return node.inputs[i] == kGraphInput ? plan->input() : outputs[static_cast<size_t>(node.inputs[i])];
  };
  TensorId features;  // the global average pool's input, pooled by the classifier
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ResNetNode& node = nodes[i];
    switch (node.kind) {
      case ResNetNode::Kind::conv_bn: {
        const auto c = static_cast<size_t>(node.out);
        const size_t weights = c * static_cast<size_t>(node.in) * node.kernel * node.kernel;
        const FoldedConv folded =
            fold_batch_norm(at(state, node.name + ".weight", weights), {}, node.out, at(state, node.bn + ".weight", c),
                            at(state, node.bn + ".bias", c), at(state, node.bn + ".running_mean", c),
                            at(state, node.bn + ".running_var", c), node.bn_eps);
        engine::InferenceConv options{
            .out_channels = node.out, .kernel = node.kernel, .stride = node.stride, .padding = node.padding, .residual = {}};
        options.relu = node.relu;
        if (absorbs[i] >= 0) {
          const ResNetNode& add = nodes[static_cast<size_t>(absorbs[i])];
          const int other = add.inputs[0] == static_cast<int>(i) ? add.inputs[1] : add.inputs[0];
          options.residual = other == kGraphInput ? plan->input() : outputs[static_cast<size_t>(other)];
          options.relu = true;
        }
        outputs[i] = plan->conv(node.name, in(node, 0), folded.weights, folded.bias, options);
        if (absorbs[i] >= 0) outputs[static_cast<size_t>(absorbs[i])] = outputs[i];
        break;
      }
      case ResNetNode::Kind::max_pool:
        outputs[i] = plan->max_pool(node.name, in(node, 0), node.kernel, node.stride, node.padding);
        break;
      case ResNetNode::Kind::add_relu:
        break;  // done by the convolution that absorbed it
      case ResNetNode::Kind::global_avg_pool:
        features = in(node, 0);
        break;
      case ResNetNode::Kind::linear: {
        const auto classes = static_cast<size_t>(node.out);
        plan->classifier(node.name, features, at(state, node.name + ".weight", classes * node.in),
                         at(state, node.name + ".bias", classes));
        break;
      }
    }
    if (i == join_after) outputs[i] = plan->join(outputs[i]);
  }
  plan->finish();
  return plan;
}

}  // namespace dnntrain::layers
