// Comparison of results with references and the messages failing checks print.
// Errors are measured in double so that they never round to zero themselves.
#include "tests/reference/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace dnntrain::reference {
namespace {

// Absolute and symmetric relative error of one pair; NaN against NaN counts as equal.
std::pair<double, double> element_error(double g, double w) {
  if (std::isnan(g) || std::isnan(w)) {
    if (std::isnan(g) && std::isnan(w)) return {0.0, 0.0};
    return {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  }
  if (g == w) return {0.0, 0.0};  // also equal infinities
  const double abs_err = std::fabs(g - w);
  const double scale = std::max(std::fabs(g), std::fabs(w));
  return {abs_err, abs_err / scale};
}

Closeness check(const float* got, const float* want, size_t n, double atol, double rtol,
                const std::vector<int64_t>* dims) {
  const Diff diff = compare(got, want, n);
  auto where = [&](size_t i) { return dims ? format_index(*dims, i) : fmt::format("[{}]", i); };
  size_t failures = 0;
  size_t first = 0;
  for (size_t i = 0; i < n; ++i) {
    const double g = got[i];
    const double w = want[i];
    const auto [abs_err, rel_err] = element_error(g, w);
    const double allowed = atol + rtol * std::max(std::fabs(g), std::fabs(w));
    // A match passes even where a NaN makes the allowance NaN; any other NaN comparison fails.
    if (abs_err != 0.0 && !(abs_err <= allowed)) {
      if (failures++ == 0) first = i;
    }
  }
  Closeness r;
  r.ok = failures == 0;
  std::string summary = fmt::format("max abs {:.3g} at {}, max rel {:.3g} over {} elements", diff.max_abs,
                                    where(diff.where), diff.max_rel, diff.count);
  if (r.ok) {
    r.message = summary;
  } else {
    r.message =
        fmt::format("{} of {} outside atol {:.3g} + rtol {:.3g}; first at {}: got {:.9g}, want {:.9g}; {}",
                    failures, n, atol, rtol, where(first), got[first], want[first], summary);
  }
  return r;
}

}  // namespace

Diff compare(const float* got, const float* want, size_t n) {
  Diff d;
  d.count = n;
  for (size_t i = 0; i < n; ++i) {
    const auto [abs_err, rel_err] = element_error(got[i], want[i]);
    if (abs_err > d.max_abs) {
      d.max_abs = abs_err;
      d.where = i;
    }
    d.max_rel = std::max(d.max_rel, rel_err);
  }
  return d;
}

std::string describe(const Diff& diff) {
  return fmt::format("max abs {:.3g} at [{}], max rel {:.3g} over {} elements", diff.max_abs, diff.where,
                     diff.max_rel, diff.count);
}

Closeness expect_close(const float* got, const float* want, size_t n, double atol, double rtol) {
  return check(got, want, n, atol, rtol, nullptr);
}

Closeness expect_close(const Tensor& got, const Tensor& want, double atol, double rtol) {
  if (got.dims != want.dims || got.data.size() != want.data.size()) {
    return {false,
            fmt::format("dims differ: got {}, want {}", format_dims(got.dims), format_dims(want.dims))};
  }
  return check(got.data.data(), want.data.data(), got.data.size(), atol, rtol, &got.dims);
}

}  // namespace dnntrain::reference
