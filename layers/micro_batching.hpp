// Which part of a ResNet's inference plan runs per micro-batch (InferencePlan's micro_batch): the
// stem and the first stages, whose activations are large and whose weights are small, so that each
// micro-batch's activations stay in the caches instead of going through memory.
#pragma once

#include <cstddef>
#include <vector>

#include "layers/resnet.hpp"

namespace dnntrain::layers {

struct MicroBatching {
  int images = 0;  // per micro-batch; 0: the whole batch throughout
  int stages = 0;  // the stem and stages 1..stages run per micro-batch
};

// The rule, from the sizes alone: a micro-batch is the largest divisor of the batch below it whose
// largest stem or first-stage output fits `cache_bytes`, and at least `threads` images where the
// batch allows (each thread then holds whole images); then each stage in turn runs per
// micro-batch while reading its weights once per micro-batch moves fewer bytes than its outputs
// would through memory at the whole batch. No stage qualifying, or the whole batch fitting: none.
MicroBatching choose_micro_batching(const ResNetConfig& config, const std::vector<ResNetNode>& nodes,
                                    size_t cache_bytes, int threads);

}  // namespace dnntrain::layers
