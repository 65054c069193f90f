// A model's state (parameters and batch-norm buffers) held apart from any plan, so that a plan made
// for another batch size, or a Predictor made from a Trainer, starts from the same values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/graph.hpp"

namespace dnntrain::api {

struct Weights {
  std::vector<std::vector<float>> parameters;  // per Graph::parameters(), torch order
  std::vector<std::vector<uint8_t>> buffers;   // per Graph::buffers(), the checkpoint's bytes
  std::vector<std::string> parameter_names, buffer_names;  // their torchvision keys
  std::vector<bool> buffer_is_f32;                         // false: num_batches_tracked (i64)
};

Weights copy_weights(engine::Graph& graph);
// requires: `graph` has the model (names, shapes, order) that `weights` was copied from.
void paste_weights(const Weights& weights, engine::Graph& graph);

}  // namespace dnntrain::api
