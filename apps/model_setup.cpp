// Compute threads.
#include "apps/model_setup.hpp"

#include <algorithm>
#include <thread>

namespace dnntrain::apps {

int compute_threads(int requested) {
  return requested > 0 ? requested : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace dnntrain::apps
