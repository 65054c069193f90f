// The processes of a data-parallel run as MPI numbers them. MPI is initialised only when the
// launcher's environment says mpirun (or srun) started us, so a plain run never touches it. Every
// collective is non-blocking underneath and waited for with a deadline, so a lost rank ends the
// job (MPI_Abort) instead of hanging it.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dnntrain::distributed {

// True when an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK set).
bool launched_by_mpi();

class World {
 public:
  // MPI_Init_thread(FUNNELED): only the thread that trains calls MPI. `timeout_seconds` bounds
  // every wait for the other ranks. throws: dnntrain::Error when MPI cannot start.
  explicit World(double timeout_seconds = 600);
  // MPI_Finalize after a normal exit; while an exception unwinds it skips the finalisation (which
  // would wait for the other ranks) and the launcher ends the job when this process exits.
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_size() const { return local_size_; }  // ranks on this host

  // Element-wise sums across ranks, in place (the same result on every rank).
  void sum(double* values, size_t n);
  void sum(int64_t* values, size_t n);
  void sum(float* values, size_t n);
  // Rank 0's bytes to every rank.
  void broadcast(void* data, size_t bytes);

  // Non-blocking sum of floats in place; progress() drives started requests; wait() ends one.
  MPI_Request start_sum(float* values, size_t n);
  void progress(std::vector<MPI_Request>& requests);
  void wait(MPI_Request& request);

 private:
  MPI_Request start(void* values, size_t n, MPI_Datatype type);  // in-place sum of n <= INT_MAX / 2

  int rank_ = 0, size_ = 1, local_size_ = 1;
  double timeout_seconds_;
};

}  // namespace dnntrain::distributed
