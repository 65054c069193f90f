// Working copies: the offset maps, built once at plan time, and the rounding pass.
#include "engine/working_copy.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "engine/bf16.hpp"
#include "engine/error.hpp"
#include "engine/precision.hpp"

namespace dnntrain::engine {

namespace {

// The tiles of `period` elements of a full offset map (-1: padding), or an empty copy when too
// many tiles differ from the first tile without padding.
bool compress(const std::vector<int32_t>& offsets, int64_t period, WorkingCopy& copy) {
  const size_t n = offsets.size(), p = static_cast<size_t>(period), blocks = n / p;
  if (n % p != 0 || blocks < 2) return false;
  size_t model = blocks;
  for (size_t b = 0; b < blocks && model == blocks; ++b)
    if (std::none_of(offsets.begin() + b * p, offsets.begin() + (b + 1) * p, [](int32_t o) { return o < 0; }))
      model = b;
  if (model == blocks) return false;
  // A tile's base is its smallest offset, so the pattern is never negative.
  const auto lowest = [&](size_t b) {
    return *std::min_element(offsets.begin() + b * p, offsets.begin() + (b + 1) * p);
  };
  std::vector<int32_t> pattern(p);
  for (size_t k = 0; k < p; ++k) pattern[k] = offsets[model * p + k] - lowest(model);
  std::vector<int32_t> base(blocks), irregular;
  for (size_t b = 0; b < blocks; ++b) {
    const int32_t* o = offsets.data() + b * p;
    const int32_t low = lowest(b);
    bool regular = low >= 0;
    for (size_t k = 0; k < p && regular; ++k) regular = o[k] == low + pattern[k];
    if (regular) {
      base[b] = low;
    } else {
      base[b] = -1 - static_cast<int32_t>(irregular.size() / p);
      irregular.insert(irregular.end(), o, o + p);
    }
  }
  if (irregular.size() > n / 8) return false;
  copy.period = period;
  copy.pattern = std::move(pattern);
  copy.block_base = std::move(base);
  copy.irregular = std::move(irregular);
  return true;
}

}  // namespace

WorkingCopy make_working_copy(const dnnl::memory::desc& weight_md, dnnl::memory bf16, const dnnl::engine& engine) {
  using dt = dnnl::memory::data_type;
  const dnnl::memory::desc& copy_md = bf16.get_desc();
  DNNTRAIN_CHECK(weight_md.get_data_type() == dt::f32 && copy_md.get_data_type() == dt::bf16 &&
                     weight_md.get_dims() == copy_md.get_dims(),
                 "a working copy is a bf16 tensor of its f32 weight's dimensions");
  WorkingCopy copy{std::move(bf16)};
  if (with_data_type(copy_md, dt::f32) == weight_md) return copy;  // same offsets: no map

  // Each element of the copy's layout holds its own offset + 1; reordered into the weight's
  // layout, each weight element then holds where it goes in the copy, and padding holds 0.
  const size_t copy_elements = copy_md.get_size() / sizeof(uint16_t);
  const size_t weight_elements = weight_md.get_size() / sizeof(float);
  DNNTRAIN_CHECK(copy_elements < static_cast<size_t>(INT32_MAX),
                 fmt::format("a working copy of {} elements is too large", copy_elements));
  std::vector<int32_t> numbered(copy_elements);
  std::iota(numbered.begin(), numbered.end(), 1);
  std::vector<int32_t> offsets(weight_elements, 0);
  dnnl::memory from(with_data_type(copy_md, dt::s32), engine, numbered.data());
  dnnl::memory to(with_data_type(weight_md, dt::s32), engine, offsets.data());
  dnnl::stream stream(engine);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  for (int32_t& o : offsets) --o;
  for (int64_t period : {256, 512, 1024})
    if (compress(offsets, period, copy)) return copy;
  // One tile of the whole buffer: the full map.
  copy.period = static_cast<int64_t>(weight_elements);
  copy.pattern = std::move(offsets);
  copy.block_base = {0};
  return copy;
}

namespace {

constexpr size_t kRoundBatch = 256;

// out[k] = to_bf16(w[k]) for k < n <= kRoundBatch, vectorised.
void round_batch(const float* __restrict w, uint16_t* __restrict out, size_t n) {
#pragma omp simd
  for (size_t k = 0; k < n; ++k) out[k] = to_bf16(w[k]);
}

}  // namespace

void write_working_copy(const float* weight, size_t begin, size_t count, const WorkingCopy& copy) {
  uint16_t* out = copy.data();
  if (copy.period == 0) {
    for (size_t i = begin; i < begin + count; i += kRoundBatch)
      round_batch(weight + i, out + i, std::min(kRoundBatch, begin + count - i));
    return;
  }
  // Round a batch of the tile into `rounded`, then place each element.
  uint16_t rounded[kRoundBatch];
  const size_t p = static_cast<size_t>(copy.period), end = begin + count;
  for (size_t i = begin; i < end;) {
    const size_t b = i / p, k0 = i - b * p, k1 = std::min({end - b * p, p, k0 + kRoundBatch});
    round_batch(weight + i, rounded, k1 - k0);
    const int32_t base = copy.block_base[b];
    const int32_t* offsets =
        base >= 0 ? copy.pattern.data() : copy.irregular.data() + static_cast<size_t>(-1 - base) * p;
    uint16_t* tile = out + (base >= 0 ? base : 0);
    for (size_t k = k0; k < k1; ++k)
      if (offsets[k] >= 0) tile[offsets[k]] = rounded[k - k0];
    i = b * p + k1;
  }
}

}  // namespace dnntrain::engine
