// The batch producer the trainer pulls from: a fixed ring of preallocated NCHW float batches,
// filled by oneTBB in its own task_arena, either between steps or ahead of them (CoreSharing).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "data/batch.hpp"
#include "data/batch_mix.hpp"
#include "data/dataset.hpp"
#include "data/sample_transform.hpp"

namespace dnntrain::data {

// How the pipeline shares the cores with oneDNN's OpenMP team (measured: a busy TBB pipeline
// beside the static OpenMP team doubles a convolution's time on 2 cores; docs/architecture.md).
enum class CoreSharing {
  // Default. in_steps for in-memory datasets, background for decoded ones (image folders).
  automatic,
  // next() builds the batch on the calling thread (plus threads - 1 arena workers) while oneDNN is
  // idle between steps: no contention, no prefetch. Cheap augmentation of RAM data costs a few ms.
  in_steps,
  // A producer thread fills up to `prefetch` batches ahead in a task_arena of `threads` threads,
  // concurrently with the step: for decode-heavy data. Give oneDNN the remaining cores.
  background,
};

struct PipelineSettings {
  int batch_size = 128;
  bool training = true;  // random augmentation and drop the last partial batch; else keep it
  bool shuffle = true;   // per-epoch permutation from (seed, epoch); false: file order (--no-shuffle)
  uint64_t seed = 0;
  int rank = 0, world_size = 1;  // data-parallel shard; see shard_indices()
  int repeats = 1;  // training: > 1 repeats each sample with other draws (repeated_shard_indices)
  int threads = 0;   // oneTBB arena concurrency; 0 = 1 for in_steps, max(1, cores - 1) for background
  int prefetch = 2;  // background: batches filled ahead of the consumer (ring = prefetch + 1 slots)
  CoreSharing sharing = CoreSharing::automatic;
  MixSettings mix;  // training: MixUp/CutMix of each full batch (data/batch_mix.hpp)
};

class Pipeline {
 public:
  // Preallocates the ring. Throws dnntrain::Error on bad settings (batch size, shard, threads).
  Pipeline(std::shared_ptr<const Dataset> dataset, SampleTransform transform, PipelineSettings settings);
  ~Pipeline();  // stops the producer mid-epoch if needed; never hangs
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Begins epoch `epoch` (any order, any value; restarting one is allowed). Stops a running epoch.
  // `first_batch` > 0 starts at that batch of the epoch without building the earlier ones (resume).
  void start_epoch(uint64_t epoch, int64_t first_batch = 0);

  // ensures: true and `batch` viewing the next batch of this epoch, valid until the next call to
  // next(), start_epoch() or the destructor; false at the end of the epoch. Rethrows (as
  // dnntrain::Error) what a worker threw, e.g. a corrupt image naming its file.
  bool next(BatchView& batch);

  int64_t samples_per_epoch() const { return static_cast<int64_t>(order_.size()); }  // this shard
  int64_t batches_per_epoch() const;
  CoreSharing sharing() const { return sharing_; }  // automatic resolved
  int threads() const { return threads_; }
  const PipelineSettings& settings() const { return settings_; }
  Dataset::Shape sample_shape() const { return transform_.output_shape(); }
  // Seconds next() spent this epoch waiting for (background) or building (in_steps) batches: the
  // trainer's "did the step wait for data" figure.
  double wait_seconds() const { return wait_seconds_; }

 private:
  struct Slot {
    std::vector<float> images;    // [batch_size, C, H, W]
    std::vector<int32_t> labels;  // [batch_size]
    std::vector<int32_t> mix_labels;  // [batch_size] when mixing
    std::vector<float> mix_row;       // [C, H, W] scratch of the mix
    double mix_lambda = 1;
    int n = 0;
  };
  struct Worker;  // the oneTBB arena, per-thread scratch and the producer's queues

  bool mixing() const { return settings_.training && settings_.mix.enabled(); }
  void fill(Slot& slot, int64_t batch);  // runs the transform over the batch's samples in the arena
  void produce(int64_t first_batch);     // background producer thread body
  void stop_producer();

  std::shared_ptr<const Dataset> dataset_;
  SampleTransform transform_;
  PipelineSettings settings_;
  CoreSharing sharing_;
  int threads_;
  std::vector<Slot> ring_;
  std::vector<int64_t> order_;  // this shard's samples for the current epoch
  uint64_t epoch_ = 0;
  int64_t next_batch_ = 0;  // in_steps: the next batch to build
  int held_ = -1;           // background: the slot the consumer is viewing
  bool started_ = false;
  double wait_seconds_ = 0.0;
  std::unique_ptr<Worker> worker_;
  std::thread producer_;
  std::exception_ptr producer_error_;
};

}  // namespace dnntrain::data
