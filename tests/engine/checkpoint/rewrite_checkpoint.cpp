// rewrite_checkpoint: read, edit, recompute the checksum, write.
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

#include <cstdio>

#include "engine/checkpoint/crc32c.hpp"
#include "engine/checkpoint/safetensors.hpp"

namespace dnntrain::test {

void rewrite_checkpoint(
    const std::string& from, const std::string& to, const std::function<void(Metadata&)>& edit_metadata,
    const std::function<void(std::vector<uint8_t>&, const std::map<std::string, uint64_t>&)>& edit_data) {
  const auto st = engine::Safetensors::read(from);
  Metadata metadata = st.metadata();
  std::vector<uint8_t> data(st.buffer().begin(), st.buffer().end());
  std::map<std::string, uint64_t> offsets;
  for (const auto& t : st.tensors()) offsets[t.name] = t.begin;
  edit_metadata(metadata);
  if (edit_data) edit_data(data, offsets);
  std::vector<engine::TensorRef> refs;
  for (const auto& t : st.tensors())
    refs.push_back(
        {t.name, t.dtype, t.shape, std::span<const uint8_t>(data).subspan(t.begin, t.end - t.begin)});
  if (metadata.count("dnntrain.crc32c")) {
    metadata.erase("dnntrain.crc32c");
    const auto layout = engine::layout_safetensors(refs, metadata);
    uint32_t crc = engine::crc32c(layout.prefix.data(), layout.prefix.size());
    for (size_t i : layout.order) crc = engine::crc32c(refs[i].bytes.data(), refs[i].bytes.size(), crc);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", crc);
    metadata["dnntrain.crc32c"] = hex;
  }
  engine::write_safetensors(to, refs, metadata);
}

}  // namespace dnntrain::test
