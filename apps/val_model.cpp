// Weights copied between two plans of one ResNet through the plain layout the checkpoints use.
#include "apps/val_model.hpp"

#include <cstring>

#include "engine/checkpoint/tensor_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

ValModel::ValModel(engine::Context& context, const layers::ResNetConfig& config)
    : model_(context, config, engine::GraphOptions{.inference = true}) {}

engine::EvalResult ValModel::evaluate(engine::Graph& trained, engine::BatchSource& source) {
  engine::Graph& graph = model_.graph();
  const auto from = trained.parameters(), to = graph.parameters();
  DNNTRAIN_CHECK(from.size() == to.size(), "evaluation model: the parameters differ from the trained model's");
  for (size_t i = 0; i < from.size(); ++i) {
    DNNTRAIN_CHECK(from[i]->name == to[i]->name, "evaluation model: parameter " + to[i]->name + " is not " +
                                                     from[i]->name);
    const std::vector<float> plain = engine::to_plain(*from[i], from[i]->weight);
    engine::from_plain(*to[i], {reinterpret_cast<const uint8_t*>(plain.data()), plain.size() * sizeof(float)},
                       to[i]->weight);
    to[i]->write_working_copies();
  }
  const auto bf = trained.buffers(), bt = graph.buffers();
  DNNTRAIN_CHECK(bf.size() == bt.size(), "evaluation model: the buffers differ from the trained model's");
  for (size_t i = 0; i < bf.size(); ++i) {
    const size_t bytes = bf[i]->value.get_desc().get_size();
    DNNTRAIN_CHECK(bytes == bt[i]->value.get_desc().get_size(), "evaluation model: buffer sizes differ");
    std::memcpy(bt[i]->value.get_data_handle(), bf[i]->value.get_data_handle(), bytes);
  }
  return engine::evaluate(graph, model_.readout(), source);
}

}  // namespace dnntrain::apps
