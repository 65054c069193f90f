// What makes the ranks of a data-parallel run one model: the same start (rank 0's weights, BN
// buffers, optimizer state and training position broadcast to all), and BN running statistics
// averaged across ranks when asked (each rank's batches give it its own).
#pragma once

#include "distributed/world.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/graph.hpp"
#include "engine/optim/optimizer.hpp"

namespace dnntrain::distributed {

// After initialisation, --init or --resume: every rank takes rank 0's parameters (raw buffers of
// their blocked layouts), buffers, optimizer state and steps, and the position in `state`.
void broadcast_state(World& world, engine::Graph& graph, engine::Optimizer& optimizer,
                     engine::TrainingState& state);

// Sets every f32 buffer (BN running mean and variance) to its mean over the ranks.
void average_buffers(World& world, engine::Graph& graph);

}  // namespace dnntrain::distributed
