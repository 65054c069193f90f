// Training and evaluation figures of all ranks combined, so that rank 0 prints and logs what the
// whole job did: losses averaged, counts summed, evaluation confusion matrices added.
#pragma once

#include "distributed/world.hpp"
#include "engine/trainer.hpp"

namespace dnntrain::distributed {

// loss: mean over ranks; correct and n: sums.
void reduce(World& world, engine::StepStats& s);
// loss_sum: mean over ranks (so loss_sum / steps is the global mean); correct, samples: sums;
// seconds and wait_seconds: means over ranks (the ranks step together, so they differ little).
void reduce(World& world, engine::EpochResult& r);
// Each rank evaluated its own disjoint shard: sums of losses, hits and confusion counts, divided
// by the total sample count (every sample counted once: padding rows are never counted).
void reduce(World& world, engine::EvalResult& r);
// True on every rank when `flag` is true on any.
bool any(World& world, bool flag);

}  // namespace dnntrain::distributed
