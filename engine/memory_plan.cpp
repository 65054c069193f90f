// lay_out: greedy best-offset placement of live intervals (largest first).
#include "engine/memory_plan.hpp"

#include <algorithm>
#include <numeric>

namespace dnntrain::engine {

namespace {

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

bool overlaps_in_time(const LiveBuffer& a, const LiveBuffer& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

ArenaLayout lay_out(const std::vector<LiveBuffer>& buffers, size_t alignment) {
  ArenaLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });

  std::vector<size_t> placed;
  for (size_t i : order) {
    const size_t bytes = round_up(std::max<size_t>(buffers[i].bytes, 1), alignment);
    // Occupied [begin, end) ranges of placed buffers alive at the same time, by begin.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed)
      if (overlaps_in_time(buffers[i], buffers[j]))
        busy.emplace_back(layout.offsets[j],
                          layout.offsets[j] + round_up(std::max<size_t>(buffers[j].bytes, 1), alignment));
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + bytes <= begin) break;
      offset = std::max(offset, end);
    }
    layout.offsets[i] = offset;
    layout.total = std::max(layout.total, offset + bytes);
    placed.push_back(i);
  }
  return layout;
}

}  // namespace dnntrain::engine
