// Plain <-> blocked conversion for checkpoints (the only place besides tests where weights leave
// their blocked layout).
#include "engine/checkpoint/tensor_io.hpp"

#include <cmath>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

void check_plain_md(const Parameter& p) {
  DNNTRAIN_CHECK(p.plain_md.get_size() == p.elements() * sizeof(float),
                 "checkpoint: parameter '" + p.name + "' has a plain desc of " +
                     std::to_string(p.plain_md.get_size()) + " bytes for " + std::to_string(p.elements()) +
                     " values");
}

void reorder(const dnnl::memory& src, const dnnl::memory& dst) {
  dnnl::stream s(src.get_engine());
  dnnl::reorder(src, dst).execute(s, const_cast<dnnl::memory&>(src), const_cast<dnnl::memory&>(dst));
  s.wait();
}

}  // namespace

std::vector<float> to_plain(const Parameter& p, const dnnl::memory& blocked) {
  check_plain_md(p);
  std::vector<float> values(p.elements());
  reorder(blocked, dnnl::memory(p.plain_md, blocked.get_engine(), values.data()));
  return values;
}

void from_plain(const Parameter& p, std::span<const uint8_t> plain, const dnnl::memory& blocked) {
  check_plain_md(p);
  DNNTRAIN_CHECK(plain.size() == p.elements() * sizeof(float),
                 "checkpoint: tensor '" + p.name + "' has the wrong byte size for its shape");
  std::vector<float> values(p.elements());
  std::memcpy(values.data(), plain.data(), plain.size());  // file data may be unaligned
  reorder(dnnl::memory(p.plain_md, blocked.get_engine(), values.data()), blocked);
}

void check_finite(const std::string& name, std::span<const float> values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw Error("checkpoint: refusing to save non-finite values: tensor '" + name + "' holds " +
                  std::to_string(values[i]) + " at flat index " + std::to_string(i) +
                  " (the previous checkpoint is kept; see the NaN policy)");
}

}  // namespace dnntrain::engine
