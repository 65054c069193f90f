// A plain row-major float tensor for the reference implementations: no layouts, no strides, no oneDNN.
// Activations are NCHW, conv weights OIHW, linear weights [out, in]; fills are deterministic so a
// failing test reproduces bit for bit on any machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace dnntrain::reference {

struct Tensor {
  std::vector<int64_t> dims;
  std::vector<float> data;

  size_t size() const { return data.size(); }
  int64_t dim(size_t axis) const { return dims.at(axis); }
  // Row-major offset of a full multi-index; throws std::out_of_range on a wrong rank or index.
  size_t offset(std::initializer_list<int64_t> index) const;
  float& at(std::initializer_list<int64_t> index) { return data[offset(index)]; }
  float at(std::initializer_list<int64_t> index) const { return data[offset(index)]; }
};

// Product of dims; 1 for a 0-d shape. Throws std::invalid_argument on a negative dim.
size_t element_count(const std::vector<int64_t>& dims);

Tensor make_tensor(std::vector<int64_t> dims, float value = 0.0f);
Tensor make_tensor(std::vector<int64_t> dims, std::vector<float> data);  // throws on a size mismatch

// Throws std::invalid_argument naming `what` unless each tensor's data.size() matches its dims; the
// references call it on entry so that their unchecked loops never read past a tensor.
void require_storage(const char* what, std::initializer_list<const Tensor*> tensors);

// benchdnn-style values k * scale with k uniform in [lo, hi]: with the default scale 1/8 and small
// k, sums and products of a few such values are exact in float.
void fill_small_integers(Tensor& t, uint64_t seed, int lo = -4, int hi = 4, float scale = 0.125f);
// Uniform floats in [lo, hi) from std::mt19937_64(seed), converted by hand so that the values do
// not depend on the standard library's distributions.
void fill_random(Tensor& t, uint64_t seed, float lo = -1.0f, float hi = 1.0f);
// 0, 1, 2, ... times scale: handy for hand-computed cases.
void fill_iota(Tensor& t, float scale = 1.0f, float start = 0.0f);

// Sum of a[i] * b[i] in double; the usual scalar loss for gradient checks (b plays diff_dst).
double dot(const Tensor& a, const Tensor& b);

// "[2, 3, 4, 4]"
std::string format_dims(const std::vector<int64_t>& dims);
// The multi-index of a flat row-major offset, "[n, c, h, w]".
std::string format_index(const std::vector<int64_t>& dims, size_t flat);

}  // namespace dnntrain::reference
