// The single-process Parallel, and the choice between it and MPI (parallel_mpi.cpp, compiled only
// when dnntrain_distributed exists).
#include "apps/parallel.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "engine/error.hpp"

namespace dnntrain::apps {

#ifdef DNNTRAIN_HAVE_DIST
std::unique_ptr<Parallel> make_mpi_parallel(double timeout_seconds);  // nullptr without an MPI launcher
#endif

std::unique_ptr<Parallel> make_parallel([[maybe_unused]] double timeout_seconds) {
#ifdef DNNTRAIN_HAVE_DIST
  if (auto mpi = make_mpi_parallel(timeout_seconds)) return mpi;
#else
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  DNNTRAIN_CHECK(size == nullptr || std::atoi(size) <= 1,
                 "mpirun started this dnntrain, but it was built without Open MPI; install libopenmpi-dev "
                 "and rebuild (scripts/deps.sh)");
#endif
  return std::make_unique<Parallel>();
}

void rescale_position(engine::TrainingState& state, int64_t global_batch, int64_t steps_per_epoch) {
  const auto saved = state.extra.find("global_batch");
  if (saved == state.extra.end()) return;  // written before data-parallel runs: one process
  const int64_t before = std::stoll(saved->second);
  if (before == global_batch) return;
  const int64_t consumed = state.batch_in_epoch * before;
  DNNTRAIN_CHECK(
      consumed % global_batch == 0,
      fmt::format("--resume: the checkpoint stopped {} samples into epoch {}, not a whole number of "
                  "this run's global batches of {} (ranks x --batch-size); pick a batch size that "
                  "divides it, or resume from an epoch boundary",
                  consumed, state.epoch + 1, global_batch));
  state.batch_in_epoch = consumed / global_batch;
  state.step = state.epoch * steps_per_epoch + state.batch_in_epoch;
}

}  // namespace dnntrain::apps
