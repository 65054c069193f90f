// Working copies: the offset maps, built once at plan time, and the rounding pass.
#include "engine/working_copy.hpp"

#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "engine/bf16.hpp"
#include "engine/error.hpp"
#include "engine/precision.hpp"

namespace dnntrain::engine {

WorkingCopy make_working_copy(const dnnl::memory::desc& weight_md, dnnl::memory bf16, const dnnl::engine& engine) {
  using dt = dnnl::memory::data_type;
  const dnnl::memory::desc& copy_md = bf16.get_desc();
  DNNTRAIN_CHECK(weight_md.data_type() == dt::f32 && copy_md.data_type() == dt::bf16 &&
                     weight_md.dims() == copy_md.dims(),
                 "a working copy is a bf16 tensor of its f32 weight's dimensions");
  WorkingCopy copy{std::move(bf16), {}};
  if (with_data_type(copy_md, dt::f32) == weight_md) return copy;  // same offsets: no map

  // Each element of the copy's layout holds its own offset + 1; reordered into the weight's
  // layout, each weight element then holds where it goes in the copy, and padding holds 0.
  const size_t copy_elements = copy_md.get_size() / sizeof(uint16_t);
  const size_t weight_elements = weight_md.get_size() / sizeof(float);
  DNNTRAIN_CHECK(copy_elements < static_cast<size_t>(INT32_MAX),
                 fmt::format("a working copy of {} elements is too large", copy_elements));
  std::vector<int32_t> numbered(copy_elements);
  std::iota(numbered.begin(), numbered.end(), 1);
  copy.offsets.assign(weight_elements, 0);
  dnnl::memory from(with_data_type(copy_md, dt::s32), engine, numbered.data());
  dnnl::memory to(with_data_type(weight_md, dt::s32), engine, copy.offsets.data());
  dnnl::stream stream(engine);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  for (int32_t& o : copy.offsets) --o;
  return copy;
}

void write_working_copy(const float* weight, size_t begin, size_t count, const WorkingCopy& copy) {
  uint16_t* out = copy.data();
  if (copy.offsets.empty()) {
    for (size_t i = begin; i < begin + count; ++i) out[i] = to_bf16(weight[i]);
    return;
  }
  const int32_t* offsets = copy.offsets.data();
  for (size_t i = begin; i < begin + count; ++i)
    if (offsets[i] >= 0) out[offsets[i]] = to_bf16(weight[i]);
}

}  // namespace dnntrain::engine
