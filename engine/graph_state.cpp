// GraphState: regions of the arenas and the memories that view them.
#include "engine/graph_state.hpp"

#include <cstdlib>

namespace dnntrain::engine {

GraphState::~GraphState() {
  for (float* p : arena_storage) std::free(p);
}

int GraphState::new_region(Arena arena, size_t bytes) {
  Region& r = regions.emplace_back();
  r.arena = arena;
  r.bytes = bytes;
  return static_cast<int>(regions.size()) - 1;
}

int GraphState::root(int region) const {
  while (regions[region].merged_into >= 0) region = regions[region].merged_into;
  return region;
}

dnnl::memory GraphState::view(int region, const dnnl::memory::desc& md) {
  dnnl::memory m(md, context.engine(), DNNL_MEMORY_NONE);
  regions[root(region)].views.push_back(m);
  return m;
}

void GraphState::merge(int keep, int drop) {
  keep = root(keep);
  drop = root(drop);
  if (keep == drop) return;
  Region& k = regions[keep];
  Region& d = regions[drop];
  k.bytes = std::max(k.bytes, d.bytes);
  k.first = std::min(k.first, d.first);
  k.last = std::max(k.last, d.last);
  k.views.insert(k.views.end(), d.views.begin(), d.views.end());
  d.views.clear();
  d.merged_into = keep;
}

}  // namespace dnntrain::engine
