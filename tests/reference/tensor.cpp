// Plain tensor helpers for the references: creation, indexing and deterministic fills.
// The fills use raw mt19937_64 output so that the same seed gives the same values everywhere.
#include "tests/reference/tensor.hpp"

#include <fmt/format.h>

#include <random>
#include <stdexcept>

namespace dnntrain::reference {

size_t element_count(const std::vector<int64_t>& dims) {
  size_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) throw std::invalid_argument("reference tensor: negative dim in " + format_dims(dims));
    n *= static_cast<size_t>(d);
  }
  return n;
}

size_t Tensor::offset(std::initializer_list<int64_t> index) const {
  if (index.size() != dims.size()) {
    throw std::out_of_range(fmt::format("reference tensor: index of rank {} into a tensor of dims {}",
                                        index.size(), format_dims(dims)));
  }
  size_t flat = 0;
  size_t axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= dims[axis]) {
      throw std::out_of_range(fmt::format("reference tensor: index {} out of range on axis {} of {}", i, axis,
                                          format_dims(dims)));
    }
    flat = flat * static_cast<size_t>(dims[axis]) + static_cast<size_t>(i);
    ++axis;
  }
  return flat;
}

Tensor make_tensor(std::vector<int64_t> dims, float value) {
  Tensor t;
  t.data.assign(element_count(dims), value);
  t.dims = std::move(dims);
  return t;
}

Tensor make_tensor(std::vector<int64_t> dims, std::vector<float> data) {
  if (data.size() != element_count(dims)) {
    throw std::invalid_argument(
        fmt::format("reference tensor: {} values for dims {}", data.size(), format_dims(dims)));
  }
  return Tensor{std::move(dims), std::move(data)};
}

void require_storage(const char* what, std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (t->data.size() != element_count(t->dims)) {
      throw std::invalid_argument(fmt::format("reference {}: {} values stored for dims {}", what,
                                              t->data.size(), format_dims(t->dims)));
    }
  }
}

void fill_small_integers(Tensor& t, uint64_t seed, int lo, int hi, float scale) {
  if (hi < lo) throw std::invalid_argument("fill_small_integers: hi < lo");
  std::mt19937_64 gen(seed);
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  for (float& v : t.data) v = static_cast<float>(lo + static_cast<int>(gen() % span)) * scale;
}

void fill_random(Tensor& t, uint64_t seed, float lo, float hi) {
  std::mt19937_64 gen(seed);
  for (float& v : t.data) {
    const double u = static_cast<double>(gen() >> 11) * 0x1.0p-53;  // [0, 1) with 53 random bits
    v = static_cast<float>(lo + (static_cast<double>(hi) - lo) * u);
  }
}

void fill_iota(Tensor& t, float scale, float start) {
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = start + scale * static_cast<float>(i);
}

double dot(const Tensor& a, const Tensor& b) {
  if (a.dims != b.dims) {
    throw std::invalid_argument(
        fmt::format("reference dot: dims {} vs {}", format_dims(a.dims), format_dims(b.dims)));
  }
  double s = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i) s += static_cast<double>(a.data[i]) * b.data[i];
  return s;
}

std::string format_dims(const std::vector<int64_t>& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

std::string format_index(const std::vector<int64_t>& dims, size_t flat) {
  std::vector<int64_t> index(dims.size(), 0);
  for (size_t axis = dims.size(); axis-- > 0;) {
    const auto d = static_cast<size_t>(dims[axis]);
    if (d == 0) break;
    index[axis] = static_cast<int64_t>(flat % d);
    flat /= d;
  }
  return format_dims(index);
}

}  // namespace dnntrain::reference
