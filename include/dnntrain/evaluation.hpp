// What evaluating a model on labelled images gives, and the batches a streaming evaluation reads.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace dnntrain {

struct Evaluation {
  double loss = 0;            // mean cross-entropy
  double top1 = 0, top5 = 0;  // fractions in [0, 1]; a row's prediction is its first maximum
  int64_t samples = 0;
  int classes = 0;
  std::vector<int64_t> confusion = {};  // [true class][predicted class], classes × classes
};

// One batch of a streaming evaluation: n images (NCHW f32) and their n labels in [0, classes).
struct LabelledBatch {
  std::span<const float> images = {};
  std::span<const int32_t> labels = {};
};

// Called once per batch until it returns false; the batch it fills stays valid until the next call.
// The first batch's size is planned; no later batch may hold more images (smaller ones are padded).
using BatchReader = std::function<bool(LabelledBatch&)>;

}  // namespace dnntrain
