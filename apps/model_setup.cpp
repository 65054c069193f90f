// Compute threads.
#include "apps/model_setup.hpp"

#include <algorithm>
#include <thread>

namespace dnntrain::apps {

int compute_threads(int requested, const data::Dataset& train) {
  if (requested > 0) return requested;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return train.in_memory() ? cores : std::max(1, cores - 1);
}


}  // namespace dnntrain::apps
