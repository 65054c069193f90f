// The upper limits on option values that size memory or threads, checked with overflow-safe
// arithmetic before any work starts, and the range checks every numeric option shares.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace dnntrain::apps {

inline constexpr int kMaxImageSize = 8192;                       // --image-size
inline constexpr int kMaxInChannels = 1024;                      // --in-channels
inline constexpr int kMaxClasses = 1'000'000;                    // --classes
inline constexpr int64_t kMaxActivation = INT32_MAX;             // values in one batch's largest early tensor
inline constexpr int64_t kMaxSyntheticBytes = int64_t{4} << 30;  // --synthetic-samples × image bytes
inline constexpr uint64_t kMaxConfigBytes = 1 << 20;             // --config, a run's config
inline constexpr uint64_t kMaxSummaryBytes = uint64_t{64} << 20;  // a run's summary.csv (plot)
inline constexpr double kMaxBucketMb = 1 << 20;                   // --bucket-mb (1 TiB: any model fits one)
inline constexpr double kMaxDistTimeout = 1e7;                    // --dist-timeout seconds (~4 months)
inline constexpr double kMaxMixAlpha = 1e3;                       // --mixup-alpha, --cutmix-alpha (issue 24)

// The threads this process may run on (its CPU affinity mask; hardware_concurrency as fallback).
int hardware_threads();

// The product of `factors`, or nullopt if it overflows int64 (factors must be >= 0).
std::optional<int64_t> checked_product(std::initializer_list<int64_t> factors);

// Throws UsageError naming `option` unless `value` is finite and within [min, max] (`positive`:
// also above 0).
void check_real(const std::string& option, double value, double min, double max = INFINITY,
                bool positive = false);

}  // namespace dnntrain::apps
