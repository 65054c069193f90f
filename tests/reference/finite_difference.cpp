// Central-difference gradient checking with sampled indices and kink guards.
// Deterministic: the same seed checks the same elements on every run and machine.
#include "tests/reference/finite_difference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace dnntrain::reference {

double central_difference(const std::function<double()>& loss, float* x, double h) {
  const float original = *x;
  *x = static_cast<float>(original + h);
  const double x_plus = *x;
  const double loss_plus = loss();
  *x = static_cast<float>(original - h);
  const double x_minus = *x;
  const double loss_minus = loss();
  *x = original;
  if (x_plus == x_minus)
    throw std::invalid_argument("central_difference: step too small to change the float");
  return (loss_plus - loss_minus) / (x_plus - x_minus);
}

std::vector<size_t> sample_indices(size_t n, size_t count, uint64_t seed) {
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t{0});
  if (count == 0 || count >= n) return all;
  // Partial Fisher-Yates with raw generator output, independent of std::shuffle's implementation.
  std::mt19937_64 gen(seed);
  for (size_t i = 0; i < count; ++i) std::swap(all[i], all[i + gen() % (n - i)]);
  all.resize(count);
  std::sort(all.begin(), all.end());
  return all;
}

GradCheckResult check_gradient(const std::function<double()>& loss, Tensor& input, const Tensor& analytic,
                               const GradCheckOptions& o) {
  require_storage("check_gradient", {&input, &analytic});
  if (input.dims != analytic.dims) {
    throw std::invalid_argument("check_gradient: analytic dims " + format_dims(analytic.dims) + " vs input " +
                                format_dims(input.dims));
  }
  GradCheckResult r;
  double worst_err = -1.0;
  std::string first_failure;
  const std::vector<size_t> indices = sample_indices(input.size(), o.samples, o.seed);
  for (size_t i : indices) {
    if (o.skip_if && o.skip_if(i)) {
      ++r.skipped;
      continue;
    }
    float* x = &input.data[i];
    double numeric = 0.0;
    if (o.kink_factor > 0.0) {
      const float original = *x;
      const double loss_0 = loss();
      *x = static_cast<float>(original + o.step);
      const double h_plus = *x - static_cast<double>(original);
      const double loss_plus = loss();
      *x = static_cast<float>(original - o.step);
      const double h_minus = static_cast<double>(original) - *x;
      const double loss_minus = loss();
      *x = original;
      const double d_plus = (loss_plus - loss_0) / h_plus;
      const double d_minus = (loss_0 - loss_minus) / h_minus;
      if (std::fabs(d_plus - d_minus) >
          o.kink_factor * std::max(std::fabs(d_plus), std::fabs(d_minus)) + o.atol) {
        ++r.skipped;
        continue;
      }
      numeric = (loss_plus - loss_minus) / (h_plus + h_minus);
    } else {
      numeric = central_difference(loss, x, o.step);
    }
    const double a = analytic.data[i];
    const double err = std::fabs(a - numeric);
    ++r.checked;
    if (err > worst_err) {
      worst_err = err;
      r.worst_index = i;
      r.worst_analytic = a;
      r.worst_numeric = numeric;
    }
    if (!(err <= o.atol + o.rtol * std::max(std::fabs(a), std::fabs(numeric)))) {
      if (r.failed++ == 0) {
        first_failure = fmt::format("; first failure at {}: analytic {:.6g}, numeric {:.6g}",
                                    format_index(input.dims, i), a, numeric);
      }
    }
  }
  const bool too_many_skipped =
      static_cast<double>(r.skipped) > o.max_skipped_fraction * static_cast<double>(indices.size());
  r.ok = r.failed == 0 && !too_many_skipped && (r.checked > 0 || indices.empty());
  r.message = fmt::format(
      "gradient check on {}: {} checked, {} failed, {} skipped at kinks{}; worst at {}: analytic {:.6g}, "
      "numeric {:.6g} (step {:g}, atol {:g}, rtol {:g}){}",
      format_dims(input.dims), r.checked, r.failed, r.skipped, too_many_skipped ? " (too many)" : "",
      format_index(input.dims, r.worst_index), r.worst_analytic, r.worst_numeric, o.step, o.atol, o.rtol,
      first_failure);
  return r;
}

}  // namespace dnntrain::reference
