// What training and evaluation read: batches from a BatchSource and the loss layer at the end of
// the graph through a LossReadout. engine/ knows nothing of data/: apps/ adapts the pipeline.
#pragma once

#include <cstdint>
#include <functional>

namespace dnntrain::engine {

// One batch: NCHW f32 plain images and labels, n <= the planned batch. A mixed batch (MixUp,
// CutMix) has a second label per row: the target is lambda·labels + (1 - lambda)·mix_labels.
struct BatchRef {
  const float* images = nullptr;    // [n, C, H, W]
  const int32_t* labels = nullptr;  // [n]
  int n = 0;
  const int32_t* mix_labels = nullptr;  // [n], or nullptr: not mixed
  double mix_lambda = 1;
};

// What the trainer and evaluate() pull batches from; data/'s pipeline implements it through an
// adapter in apps/.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Begins epoch `epoch` at batch `first_batch` (resume skips the batches already consumed; the
  // batches are a pure function of (seed, epoch, batch index)).
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;
  // ensures: true and `batch` valid until the next call, or false at the end of the epoch.
  virtual bool next(BatchRef& batch) = 0;
  virtual int64_t batches_per_epoch() const = 0;
  // Seconds next() spent waiting for or building batches since start_epoch.
  virtual double wait_seconds() const { return 0; }
};

// How training and evaluation read the loss layer at the end of the graph.
struct LossReadout {
  std::function<double()> loss;             // mean loss of the last forward over the planned batch
  std::function<const float*()> log_probs;  // [planned batch, classes] row-major, last forward
  int classes = 0;
};

}  // namespace dnntrain::engine
