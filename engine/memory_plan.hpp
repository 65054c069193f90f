// Offsets for buffers that share an arena by liveness: two buffers whose live intervals overlap
// never overlap in memory. A pure function so that it can be tested on its own.
#pragma once

#include <cstddef>
#include <vector>

namespace dnntrain::engine {

struct LiveBuffer {
  size_t bytes = 0;
  int first = 0;  // first step index at which the buffer is live (inclusive)
  int last = 0;   // last step index at which it is live (inclusive)
};

struct ArenaLayout {
  std::vector<size_t> offsets;  // one per buffer, multiples of `alignment`
  size_t total = 0;             // bytes the arena needs
};

// Greedy: largest first, each at the lowest aligned offset free during its interval.
ArenaLayout lay_out(const std::vector<LiveBuffer>& buffers, size_t alignment = 64);

}  // namespace dnntrain::engine
