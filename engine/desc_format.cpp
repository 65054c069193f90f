// layout_of / describe: read the blocking of a memory desc back into a tag-like string.
#include "engine/desc_format.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include <fmt/format.h>

namespace dnntrain::engine {

std::string layout_of(const dnnl::memory::desc& md) {
  if (md.get_format_kind() != dnnl::memory::format_kind::blocked) return "any";
  const int nd = md.get_ndims();
  const dnnl::memory::dims strides = md.get_strides(), inner_blks = md.get_inner_blks(),
                           inner_idxs = md.get_inner_idxs();
  std::vector<bool> blocked(nd, false);
  for (auto i : inner_idxs) blocked[i] = true;
  std::vector<int> order(nd);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return strides[a] > strides[b]; });
  std::string tag;
  for (int d : order) tag += static_cast<char>((blocked[d] ? 'A' : 'a') + d);
  for (size_t i = 0; i < inner_blks.size(); ++i)
    tag += fmt::format("{}{}", inner_blks[i], static_cast<char>('a' + inner_idxs[i]));
  return tag;
}

std::string describe(const dnnl::memory::desc& md) {
  std::string dims;
  for (auto d : md.get_dims()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
  const char* type = "?";
  switch (md.get_data_type()) {
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
