// Hardware thread count, checked products and finite-range checks for the options.
#include "apps/limits.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "apps/command.hpp"

namespace dnntrain::apps {

int hardware_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::optional<int64_t> checked_product(std::initializer_list<int64_t> factors) {
  int64_t p = 1;
  for (int64_t f : factors)
    if (f < 0 || __builtin_mul_overflow(p, f, &p)) return std::nullopt;
  return p;
}

void check_real(const std::string& option, double value, double min, double max, bool positive) {
  if (!std::isfinite(value))
    throw UsageError(fmt::format("{} must be a finite number, got {}", option, value));
  if (positive && !(value > 0)) throw UsageError(fmt::format("{} must be positive, got {}", option, value));
  if (value < min || value > max)
    throw UsageError(std::isinf(max)
                         ? fmt::format("{} must be >= {}, got {}", option, min, value)
                         : fmt::format("{} must be in [{}, {}], got {}", option, min, max, value));
}

}  // namespace dnntrain::apps
