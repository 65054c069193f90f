// safetensors writer with the reference conventions (safetensors/src/tensor.rs `prepare`): tensors
// sorted by dtype descending then name, offsets consecutive from 0, compact JSON with __metadata__
// first (its keys sorted), header padded with spaces to a multiple of 8.
#include <algorithm>
#include <numeric>
#include <set>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/json.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::engine {

SafetensorsLayout layout_safetensors(const std::vector<TensorRef>& tensors,
                                     const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> names;
  for (const TensorRef& t : tensors) {
    DNNTRAIN_CHECK(!t.name.empty() && t.name != "__metadata__",
                   "safetensors writer: invalid tensor name '" + t.name + "'");
    DNNTRAIN_CHECK(json::valid_utf8(t.name), "safetensors writer: a tensor name is not valid UTF-8: " +
                                                 json::quote(printable_utf8(t.name)));
    DNNTRAIN_CHECK(names.insert(t.name).second, "safetensors writer: duplicate tensor name '" + t.name + "'");
    uint64_t bytes = dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      DNNTRAIN_CHECK(d >= 0, "safetensors writer: tensor '" + t.name + "' has a negative dimension");
      bytes *= static_cast<uint64_t>(d);
    }
    DNNTRAIN_CHECK(bytes == t.bytes.size(), "safetensors writer: tensor '" + t.name + "' has " +
                                                std::to_string(t.bytes.size()) + " bytes, its shape needs " +
                                                std::to_string(bytes));
  }
  SafetensorsLayout layout;
  layout.order.resize(tensors.size());
  std::iota(layout.order.begin(), layout.order.end(), size_t{0});
  std::sort(layout.order.begin(), layout.order.end(), [&](size_t a, size_t b) {
    if (tensors[a].dtype != tensors[b].dtype) return tensors[a].dtype > tensors[b].dtype;
    return tensors[a].name < tensors[b].name;
  });

  std::string h = "{";
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      // A header that is not UTF-8 could never be read back: refused before the file is touched.
      DNNTRAIN_CHECK(json::valid_utf8(k) && json::valid_utf8(v),
                     "safetensors writer: metadata '" + json::quote(printable_utf8(k)) +
                         "' is not valid UTF-8; a file holding it could not be read back");
      h += (first ? "" : ",") + json::quote(k) + ":" + json::quote(v);
      first = false;
    }
    h += "}";
  }
  uint64_t offset = 0;
  for (size_t i : layout.order) {
    const TensorRef& t = tensors[i];
    if (h.size() > 1) h += ",";
    h += json::quote(t.name) + ":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":[";
    for (size_t k = 0; k < t.shape.size(); ++k) h += (k ? "," : "") + std::to_string(t.shape[k]);
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t.bytes.size()) +
         "]}";
    offset += t.bytes.size();
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  DNNTRAIN_CHECK(h.size() <= kMaxHeaderBytes, "safetensors writer: header exceeds 100 MB");

  layout.prefix.resize(8 + h.size());
  const uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) layout.prefix[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(h.begin(), h.end(), layout.prefix.begin() + 8);
  return layout;
}

std::vector<uint8_t> serialize_safetensors(const std::vector<TensorRef>& tensors,
                                           const std::map<std::string, std::string>& metadata) {
  SafetensorsLayout layout = layout_safetensors(tensors, metadata);
  std::vector<uint8_t> out = std::move(layout.prefix);
  for (size_t i : layout.order) out.insert(out.end(), tensors[i].bytes.begin(), tensors[i].bytes.end());
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const SafetensorsLayout layout = layout_safetensors(tensors, metadata);
  AtomicFile file(path);
  file.write(layout.prefix);
  for (size_t i : layout.order) file.write(tensors[i].bytes);
  file.commit();
}

}  // namespace dnntrain::engine
