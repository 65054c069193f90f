// A reusable central-difference gradient checker in the manner of Caffe's GradientChecker: perturb
// one float, recompute a scalar loss, compare with the analytic gradient, and skip samples at kinks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

// (loss(x + h) - loss(x - h)) / (x+ - x-), where x+ and x- are the float values actually stored,
// so rounding of x +- h does not bias the estimate. Restores *x before returning.
double central_difference(const std::function<double()>& loss, float* x, double h);

struct GradCheckOptions {
  double step = 1e-2;  // h; Caffe's default for float
  double atol = 1e-3;  // pass when |a - n| <= atol + rtol * max(|a|, |n|)
  double rtol = 1e-2;
  size_t samples = 32;  // distinct indices drawn with seed; 0 or >= size checks every element
  uint64_t seed = 7;
  // Kink guard 1: the caller says perturbing element i may cross a ReLU or change a max; skip it.
  std::function<bool(size_t index)> skip_if;
  // Kink guard 2 (when > 0): also evaluate loss(x) and skip when the one-sided slopes d+ and d-
  // disagree, |d+ - d-| > kink_factor * max(|d+|, |d-|) + atol: the loss is not smooth there.
  double kink_factor = 0.0;
  // Fail when more than this fraction of the samples were skipped, so a check cannot pass vacuously.
  double max_skipped_fraction = 0.5;
};

struct GradCheckResult {
  bool ok = true;
  size_t checked = 0;
  size_t skipped = 0;
  size_t failed = 0;
  size_t worst_index = 0;  // flat index with the largest |analytic - numeric| among checked samples
  double worst_analytic = 0.0;
  double worst_numeric = 0.0;
  std::string message;  // for CHECK_MESSAGE; names the worst sample and the first failure
};

// Compares analytic (same dims as input) with central differences of loss w.r.t. sampled
// elements of input; loss must read input afresh on every call. input is restored on return.
GradCheckResult check_gradient(const std::function<double()>& loss, Tensor& input, const Tensor& analytic,
                               const GradCheckOptions& options = {});

// The indices check_gradient samples: min(count, n) distinct indices in [0, n), ascending,
// determined by seed alone.
std::vector<size_t> sample_indices(size_t n, size_t count, uint64_t seed);

}  // namespace dnntrain::reference
