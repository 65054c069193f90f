// A trained ResNet as an inference plan (engine/inference_plan.hpp): Model's topology, each
// convolution's batch norm folded into it in double (batch_norm_fold.hpp), ReLU and the residual sum
// as post-ops, built from the trained state by torchvision key.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors.hpp"
#include "engine/graph.hpp"
#include "engine/inference_plan.hpp"
#include "layers/micro_batching.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::layers {

// A trained model's state by torchvision state_dict key, plain f32: conv weights OIHW, fc.weight
// [classes, features], fc.bias, batch norm's weight, bias, running_mean and running_var [C]. Read,
// not owned.
using StateTensors = std::map<std::string, std::span<const float>, std::less<>>;

// The f32 state of a graph (parameters and buffers), copied out to plain layouts.
struct OwnedState {
  std::vector<std::vector<float>> values;
  StateTensors tensors;  // views of `values`
};
OwnedState state_of(engine::Graph& graph);
// The F32 tensors of a loaded safetensors file (a checkpoint, best.safetensors, or torch's
// state_dict), viewed in place where aligned for floats and copied otherwise. requires: `file`
// outlives the result.
OwnedState state_of(const engine::Safetensors& file);

// The eval-mode network of `config` (its batch, image size and precision) with `state`'s values.
// micro_batching: which operations run per micro-batch; by default choose_micro_batching's rule
// for the level-2 caches of the context's threads.
// throws: dnntrain::Error for an invalid config, or naming a key that is missing or has the wrong
//         number of values.
std::unique_ptr<engine::InferencePlan> plan_inference(
    engine::Context& context, const ResNetConfig& config, const StateTensors& state,
    engine::ResidualFusion residual = engine::ResidualFusion::sum,
    std::optional<MicroBatching> micro_batching = std::nullopt);

}  // namespace dnntrain::layers
