// Test helpers for hand-built blocked parameters (see blocked_parameter.hpp).
#include "tests/engine/optim/blocked_parameter.hpp"

#include <cstring>
#include <stdexcept>

namespace dnntrain::testing {

namespace {

dnnl::memory::dims onednn_dims(const std::vector<int64_t>& shape, Tag plain) {
  dnnl::memory::dims d(shape.begin(), shape.end());
  // fc.weight [out, in] is stored by oneDNN as out x in x 1 x 1.
  if (plain == Tag::oihw)
    while (d.size() < 4) d.push_back(1);
  return d;
}

void reorder(const dnnl::memory& src, const dnnl::memory& dst) {
  dnnl::stream s(src.get_engine());
  dnnl::reorder(src, dst).execute(s, const_cast<dnnl::memory&>(src), const_cast<dnnl::memory&>(dst));
  s.wait();
}

}  // namespace

std::unique_ptr<engine::Parameter> make_parameter(const dnnl::engine& eng, std::string name,
                                                  std::vector<int64_t> shape, Tag plain, Tag blocked,
                                                  engine::Parameter::Role role) {
  auto p = std::make_unique<engine::Parameter>();
  p->name = std::move(name);
  p->shape = shape;
  p->role = role;
  const auto dims = onednn_dims(shape, plain);
  p->plain_md = dnnl::memory::desc(dims, dnnl::memory::data_type::f32, plain);
  const dnnl::memory::desc md(dims, dnnl::memory::data_type::f32, blocked);
  p->weight = dnnl::memory(md, eng);
  p->grad = dnnl::memory(md, eng);
  // Garbage first, so that a test relying on zero padding proves the reorder wrote it.
  std::memset(p->weight.get_data_handle(), 0x7f, md.get_size());
  std::memset(p->grad.get_data_handle(), 0x7f, md.get_size());
  const std::vector<float> zeros(p->elements(), 0.f);
  write_plain(*p, p->weight, zeros);
  write_plain(*p, p->grad, zeros);
  return p;
}

void write_plain(const engine::Parameter& p, const dnnl::memory& blocked, const std::vector<float>& values) {
  if (values.size() != p.elements()) throw std::invalid_argument("write_plain: wrong element count");
  dnnl::memory src(p.plain_md, blocked.get_engine(), const_cast<float*>(values.data()));
  reorder(src, blocked);
}

std::vector<float> read_plain(const engine::Parameter& p, const dnnl::memory& blocked) {
  std::vector<float> values(p.elements());
  dnnl::memory dst(p.plain_md, blocked.get_engine(), values.data());
  reorder(blocked, dst);
  return values;
}

std::vector<float> value_mask(const engine::Parameter& p) {
  dnnl::memory m(p.weight.get_desc(), p.weight.get_engine());
  write_plain(p, m, std::vector<float>(p.elements(), 1.f));
  const float* d = static_cast<const float*>(m.get_data_handle());
  return std::vector<float>(d, d + p.padded_elements());
}

size_t nonzero_padding(const engine::Parameter& p, const dnnl::memory& m, const std::vector<float>& mask) {
  const uint32_t* bits = static_cast<const uint32_t*>(m.get_data_handle());
  size_t bad = 0;
  for (size_t i = 0; i < p.padded_elements(); ++i)
    if (mask[i] == 0.f && bits[i] != 0u) ++bad;
  return bad;
}

std::vector<float> uniform_values(size_t n, uint64_t seed, float lo, float hi) {
  std::vector<float> v(n);
  uint64_t x = seed;
  for (auto& f : v) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    f = lo + (hi - lo) * static_cast<float>(static_cast<double>(z >> 40) / 16777216.0);
  }
  return v;
}

}  // namespace dnntrain::testing
