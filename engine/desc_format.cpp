// layout_of / describe: read the blocking of a memory desc back into a tag-like string.
#include "engine/desc_format.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include <fmt/format.h>

namespace dnntrain::engine {

std::string layout_of(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& c = md.data;
  if (c.format_kind != dnnl_blocked) return "any";
  const int nd = c.ndims;
  const auto& blk = c.format_desc.blocking;
  std::vector<bool> blocked(nd, false);
  for (int i = 0; i < blk.inner_nblks; ++i) blocked[blk.inner_idxs[i]] = true;
  std::vector<int> order(nd);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return blk.strides[a] > blk.strides[b]; });
  std::string tag;
  for (int d : order) tag += static_cast<char>((blocked[d] ? 'A' : 'a') + d);
  for (int i = 0; i < blk.inner_nblks; ++i)
    tag += fmt::format("{}{}", blk.inner_blks[i], static_cast<char>('a' + blk.inner_idxs[i]));
  return tag;
}

std::string describe(const dnnl::memory::desc& md) {
  std::string dims;
  for (auto d : md.dims()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
  const char* type = "?";
  switch (md.data_type()) {
    case dnnl::memory::data_type::f32: type = "f32"; break;
    case dnnl::memory::data_type::bf16: type = "bf16"; break;
    case dnnl::memory::data_type::s32: type = "s32"; break;
    case dnnl::memory::data_type::u8: type = "u8"; break;
    case dnnl::memory::data_type::s8: type = "s8"; break;
    default: break;
  }
  return fmt::format("{} {} {}", dims, type, layout_of(md));
}

}  // namespace dnntrain::engine
