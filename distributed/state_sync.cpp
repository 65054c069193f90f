// Broadcast of the whole training state from rank 0, and the running-statistics average.
#include "distributed/state_sync.hpp"

#include <cstring>

namespace dnntrain::distributed {

namespace {

void broadcast_memory(World& world, const dnnl::memory& m) {
  world.broadcast(m.get_data_handle(), m.get_desc().get_size());
}

}  // namespace

void broadcast_state(World& world, engine::Graph& graph, engine::Optimizer& optimizer,
                     engine::TrainingState& state) {
  for (engine::Parameter* p : graph.parameters()) {
    broadcast_memory(world, p->weight);
    p->write_working_copies();
  }
  for (engine::Buffer* b : graph.buffers()) world.broadcast(b->bytes().data(), b->bytes().size());
  for (engine::OptimizerState& s : optimizer.state()) broadcast_memory(world, s.memory);
  int64_t position[] = {optimizer.steps(),
                        state.epoch,
                        state.step,
                        state.batch_in_epoch,
                        static_cast<int64_t>(state.data_seed),
                        static_cast<int64_t>(state.init_seed)};
  world.broadcast(position, sizeof position);
  optimizer.set_steps(position[0]);
  state.epoch = position[1];
  state.step = position[2];
  state.batch_in_epoch = position[3];
  state.data_seed = static_cast<uint64_t>(position[4]);
  state.init_seed = static_cast<uint64_t>(position[5]);
}

void average_buffers(World& world, engine::Graph& graph) {
  const float scale = 1.f / static_cast<float>(world.size());
  for (engine::Buffer* b : graph.buffers()) {
    if (b->type != engine::Buffer::Type::f32) continue;
    world.sum(b->f32().data(), b->f32().size());
    for (float& v : b->f32()) v *= scale;
  }
}

}  // namespace dnntrain::distributed
