// Gradient averaging across ranks during backward, as DDP and Horovod's tensor fusion do it:
// parameters are grouped into buckets of about `bucket_bytes` in the order backward makes their
// gradients ready (the reverse of the graph's parameter order); a bucket's MPI_Iallreduce starts as
// soon as its last gradient is ready, so it overlaps the rest of backward. Buckets start in index
// order on every rank, which gives all ranks one fixed order of collectives. The optimizer then
// waits for one bucket at a time (wait_for), so its update of a bucket's parameters overlaps the
// allreduce of the buckets after it.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "distributed/world.hpp"
#include "engine/graph.hpp"

namespace dnntrain::distributed {

class GradientBuckets {
 public:
  // Registers the graph's gradient-ready callback; the graph and world must outlive this object.
  // Gradients are copied as raw f32 buffers of their (blocked) layout: padding is zero on every
  // rank, so it stays zero.
  GradientBuckets(World& world, engine::Graph& graph, size_t bucket_bytes);
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // After backward. requires: every gradient arrived (throws dnntrain::Error otherwise).
  void backward_done();
  // ensures: p's grad is the mean over ranks (its bucket waited for and written back once a step).
  void wait_for(const engine::Parameter& p);
  // backward_done() and wait_for() of every parameter.
  void finish();

  size_t buckets() const { return buckets_.size(); }
  size_t bytes() const;  // gradient bytes averaged per step (padding included)
  // Every bucket's allreduce back to back on the current bucket contents, as a step without any
  // overlap would run them; returns the seconds taken (for perf/: the share backward hides).
  double time_without_overlap();
  // Seconds spent waiting for buckets since the last reset: the communication nothing hid.
  double wait_seconds() const { return wait_seconds_; }
  void reset_wait_seconds() { wait_seconds_ = 0; }

 private:
  struct Slot {
    engine::Parameter* parameter;
    size_t offset, floats;  // in the bucket
  };
  struct Bucket {
    std::vector<Slot> slots;
    std::vector<float> data;
    int ready = 0;
    bool averaged = false;  // written back to the parameters this step
  };

  void ready(engine::Parameter& p);
  void start_ready_buckets();
  void average(size_t bucket);

  World& world_;
  std::vector<Bucket> buckets_;
  std::unordered_map<const engine::Parameter*, std::pair<int, int>> where_;  // (bucket, slot)
  std::vector<MPI_Request> requests_;  // per bucket; MPI_REQUEST_NULL once complete
  size_t next_to_start_ = 0;
  size_t averaged_ = 0;  // buckets written back this step; all of them: the next backward starts over
  double wait_seconds_ = 0;
};

}  // namespace dnntrain::distributed
