// Element-wise comparison of a result with its reference, and the message a failing doctest check
// prints: the largest absolute and relative errors and where they are.
#pragma once

#include <cstddef>
#include <string>

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

// max_abs = max |got - want|; where = index of that maximum; max_rel = max |got - want| / max(|got|,
// |want|) (0 where both are 0); count = number of elements compared. A NaN in either input that is
// not matched by a NaN at the same place counts as an infinite error.
struct Diff {
  double max_abs = 0.0;
  double max_rel = 0.0;
  size_t where = 0;
  size_t count = 0;
};

Diff compare(const float* got, const float* want, size_t n);
// "max abs 1.2e-07 at [5], max rel 3e-06 over 64 elements"
std::string describe(const Diff& diff);

// Result of a tolerance check; use as CHECK_MESSAGE(r.ok, r.message).
struct Closeness {
  bool ok = true;
  std::string message;
  explicit operator bool() const { return ok; }
};

// Passes when every element satisfies |got - want| <= atol + rtol * max(|got|, |want|). The message
// always carries describe(); on failure it also gives how many elements failed and the first one.
Closeness expect_close(const float* got, const float* want, size_t n, double atol, double rtol);
// Also fails on a dims mismatch, and prints multi-indices like [n, c, h, w].
Closeness expect_close(const Tensor& got, const Tensor& want, double atol, double rtol);

}  // namespace dnntrain::reference
