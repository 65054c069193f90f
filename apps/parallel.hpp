// Data-parallel training as `train` sees it: one process by default or, when mpirun started the
// command and it was built with dnntrain_distributed, one rank of N. On one process every call is a no-op,
// so train reads the same either way.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/graph.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/trainer.hpp"

namespace dnntrain::apps {

class Parallel {
 public:
  virtual ~Parallel() = default;
  virtual int rank() const { return 0; }
  virtual int world_size() const { return 1; }
  bool writer() const { return rank() == 0; }  // the one rank that prints and writes files
  // --threads 0 under mpirun: the host's cores shared among its ranks; otherwise `requested`.
  virtual int threads(int requested) const { return requested; }

  // Before the model is built: throws dnntrain::Error naming the first (option, value) pair that
  // is not the same on every rank (compared by a digest of each pair). One process: nothing to do.
  virtual void check_same_options(const std::vector<std::pair<std::string, std::string>>& /*options*/) {}
  // After init, --init or --resume: every rank takes rank 0's model, optimizer state and position.
  virtual void synchronize(engine::Graph&, engine::Optimizer&, engine::TrainingState&) {}
  // Hooks gradient averaging into the graph's backward and the optimizer's step; returns the
  // trainer's before-update hook.
  virtual std::function<void()> average_gradients(engine::Graph&, engine::Optimizer&, double /*bucket_mb*/) {
    return {};
  }
  virtual bool any(bool flag) { return flag; }
  virtual void reduce(engine::StepStats&) {}
  virtual void reduce(engine::EpochResult&) {}
  virtual void reduce(engine::EvalResult&) {}
  virtual void average_running_statistics(engine::Graph&) {}
};

// A checkpoint's position re-expressed in steps of this run's global batch (ranks × -b), read
// from its "global_batch" entry: the data order does not depend on the world size, so the samples
// already consumed in the epoch carry over.
// throws: dnntrain::Error when they are not a whole number of the new global batches.
void rescale_position(engine::TrainingState& state, int64_t global_batch, int64_t steps_per_epoch);

// An MPI rank when an MPI launcher started the process, else the single process.
// throws: dnntrain::Error when mpirun started a dnntrain built without Open MPI.
// `timeout_seconds` bounds every wait for the other ranks.
std::unique_ptr<Parallel> make_parallel(double timeout_seconds);

}  // namespace dnntrain::apps
