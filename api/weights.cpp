// Copying a model's state out of one planned graph and into another, through the plain layout.
#include "api/weights.hpp"

#include <algorithm>
#include <span>

#include "engine/checkpoint/tensor_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::api {

Weights copy_weights(engine::Graph& graph) {
  Weights w;
  for (const engine::Parameter* p : graph.parameters()) {
    w.parameters.push_back(engine::to_plain(*p, p->weight));
    w.parameter_names.push_back(p->name);
  }
  for (const engine::Buffer* b : graph.buffers()) {
    const std::span<const uint8_t> bytes = b->bytes();
    w.buffers.emplace_back(bytes.begin(), bytes.end());
    w.buffer_names.push_back(b->name);
    w.buffer_is_f32.push_back(b->type == engine::Buffer::Type::f32);
  }
  return w;
}

void paste_weights(const Weights& weights, engine::Graph& graph) {
  const std::vector<engine::Parameter*> parameters = graph.parameters();
  const std::vector<engine::Buffer*> buffers = graph.buffers();
  DNNTRAIN_CHECK(parameters.size() == weights.parameters.size() && buffers.size() == weights.buffers.size(),
                 "internal: weights copied from another model");
  for (size_t i = 0; i < parameters.size(); ++i) {
    const std::vector<float>& plain = weights.parameters[i];
    const auto bytes = std::as_bytes(std::span(plain));
    engine::from_plain(*parameters[i], {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                       parameters[i]->weight);
    parameters[i]->write_working_copies();
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    const std::span<uint8_t> bytes = buffers[i]->bytes();
    DNNTRAIN_CHECK(bytes.size() == weights.buffers[i].size(), "internal: weights copied from another model");
    std::copy(weights.buffers[i].begin(), weights.buffers[i].end(), bytes.begin());
  }
}

}  // namespace dnntrain::api
