// libFuzzer target for the safetensors reader. Any input either
// parses or throws dnntrain::Error; a parsed file must satisfy the reader's promises, and
// re-saving it must be a fixed point of parse + serialize (our files re-save byte-identically).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

std::vector<uint8_t> resave(const dnntrain::engine::Safetensors& st) {
  std::vector<dnntrain::engine::TensorRef> refs;
  for (const auto& t : st.tensors()) refs.push_back({t.name, t.dtype, t.shape, st.bytes(t)});
  return dnntrain::engine::serialize_safetensors(refs, st.metadata());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dnntrain::engine::Safetensors;
  const std::span<const uint8_t> file(data, size);
  try {
    const Safetensors st = Safetensors::parse(file, "fuzz-input");
    // Promises: ranges tile the buffer, which lies inside the input; sizes match shapes.
    uint64_t end = 0;
    for (const auto& t : st.tensors()) {
      require(t.begin == end && t.end >= t.begin && t.end <= st.buffer().size());
      require(t.elements() * dtype_size(t.dtype) == t.end - t.begin);
      end = t.end;
    }
    require(end == st.buffer().size());
    require(st.buffer().data() + st.buffer().size() == data + size);
    // Re-saving gives a canonical file that parses and re-saves to itself.
    const std::vector<uint8_t> once = resave(st);
    const Safetensors again = Safetensors::parse(once, "resaved");
    require(again.tensors().size() == st.tensors().size() && again.metadata() == st.metadata());
    require(resave(again) == once);
  } catch (const dnntrain::Error&) {
    // Rejected with a message: the expected outcome for malformed input.
  }
  return 0;
}
