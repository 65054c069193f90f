// Fused optimizer kernels. The outer loop splits the buffer into fixed chunks shared among the
// OpenMP team; each chunk runs a function cloned per instruction set (GCC target_clones), chosen
// once by the loader, so AVX-512 is used where the CPU has it and the code stays portable.
#include "engine/optim/fused_update.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "engine/working_copy.hpp"

namespace dnntrain::engine {

namespace {

// 16 K floats = 64 KB per array: large enough to amortise the dispatch, small enough to balance.
constexpr size_t kChunk = 16384;

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DNNTRAIN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DNNTRAIN_CLONES
#endif

// GCC contracts a * b + c into FMA where the clone's ISA has it (C++ defaults to -ffp-contract=fast),
// so the avx512f/avx2 clones and the default one may differ in the last bit. Which clone runs
// depends only on the CPU: the same binary on the same machine type gives the same bits, for any
// thread count (each element is updated on its own).
DNNTRAIN_CLONES void sgd_chunk(float* __restrict w, const float* __restrict g, float* __restrict b, size_t n,
                               SgdStep s) {
  const float lr = s.lr, wd = s.weight_decay, mom = s.momentum, keep = s.keep, scale = s.grad_scale;
  if (mom == 0.f) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) w[i] -= lr * (g[i] * scale + wd * w[i]);
  } else if (s.first && s.nesterov) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      const float d = g[i] * scale + wd * w[i];
      b[i] = d;
      w[i] -= lr * (d + mom * d);
    }
  } else if (s.first) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      const float d = g[i] * scale + wd * w[i];
      b[i] = d;
      w[i] -= lr * d;
    }
  } else if (s.nesterov) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      const float d = g[i] * scale + wd * w[i];
      const float v = mom * b[i] + keep * d;
      b[i] = v;
      w[i] -= lr * (d + mom * v);
    }
  } else {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      const float d = g[i] * scale + wd * w[i];
      const float v = mom * b[i] + keep * d;
      b[i] = v;
      w[i] -= lr * v;
    }
  }
}

DNNTRAIN_CLONES void adam_chunk(float* __restrict w, const float* __restrict g, float* __restrict m,
                                float* __restrict v, size_t n, AdamStep s) {
  const float b1 = s.beta1, b2 = s.beta2, c1 = s.one_minus_beta1, c2 = s.one_minus_beta2, eps = s.eps,
              scale = s.grad_scale, step = s.step_size, bc2 = s.bias_correction2_sqrt;
  if (s.decoupled) {
    const float decay = s.decay;
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      const float x = w[i] * decay;
      const float d = g[i] * scale;
      const float mi = b1 * m[i] + c1 * d;
      const float vi = b2 * v[i] + c2 * d * d;
      m[i] = mi;
      v[i] = vi;
      w[i] = x - step * (mi / (std::sqrt(vi) / bc2 + eps));
    }
  } else {
    const float wd = s.weight_decay;
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      const float d = g[i] * scale + wd * w[i];
      const float mi = b1 * m[i] + c1 * d;
      const float vi = b2 * v[i] + c2 * d * d;
      m[i] = mi;
      v[i] = vi;
      w[i] -= step * (mi / (std::sqrt(vi) / bc2 + eps));
    }
  }
}

#if defined(__GNUC__) && defined(__x86_64__)
// Adam with AVX-512 intrinsics: GCC keeps std::sqrt scalar under errno semantics (a negative argument
// must set errno) and -fno-math-errno cannot be set per function, so the auto-vectorised clone
// would run sqrt and both divisions one lane at a time. Same operations as adam_chunk.
__attribute__((target("avx512f"))) void adam_chunk_avx512(float* __restrict w, const float* __restrict g,
                                                          float* __restrict m, float* __restrict v, size_t n,
                                                          AdamStep s) {
  const __m512 b1 = _mm512_set1_ps(s.beta1), b2 = _mm512_set1_ps(s.beta2),
               c1 = _mm512_set1_ps(s.one_minus_beta1), c2 = _mm512_set1_ps(s.one_minus_beta2),
               eps = _mm512_set1_ps(s.eps), scale = _mm512_set1_ps(s.grad_scale),
               step = _mm512_set1_ps(s.step_size), bc2 = _mm512_set1_ps(s.bias_correction2_sqrt),
               decay = _mm512_set1_ps(s.decay), wd = _mm512_set1_ps(s.weight_decay);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 wi = _mm512_maskz_loadu_ps(k, w + i);
    __m512 d = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, g + i), scale);
    __m512 x = wi;
    if (s.decoupled)
      x = _mm512_mul_ps(wi, decay);
    else
      d = _mm512_add_ps(d, _mm512_mul_ps(wd, wi));
    const __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(k, m + i)), _mm512_mul_ps(c1, d));
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(k, v + i)),
                                    _mm512_mul_ps(_mm512_mul_ps(c2, d), d));
    const __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_mask_sqrt_ps(vi, k, vi), bc2), eps);
    _mm512_mask_storeu_ps(m + i, k, mi);
    _mm512_mask_storeu_ps(v + i, k, vi);
    _mm512_mask_storeu_ps(w + i, k, _mm512_sub_ps(x, _mm512_mul_ps(step, _mm512_div_ps(mi, denom))));
  }
}

bool have_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

DNNTRAIN_CLONES double squares_chunk(const float* __restrict g, size_t n) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(g[i]) * g[i];
  return sum;
}

}  // namespace

void sgd_update(float* w, const float* g, float* b, size_t n, const SgdStep& s,
                std::span<const WorkingCopy> copies) {
  const long chunks = static_cast<long>((n + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (long c = 0; c < chunks; ++c) {
    const size_t off = static_cast<size_t>(c) * kChunk, count = std::min(kChunk, n - off);
    sgd_chunk(w + off, g + off, b ? b + off : nullptr, count, s);
    for (const WorkingCopy& copy : copies) write_working_copy(w, off, count, copy);
  }
}

void adam_update(float* w, const float* g, float* m, float* v, size_t n, const AdamStep& s,
                 std::span<const WorkingCopy> copies) {
  const long chunks = static_cast<long>((n + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (long c = 0; c < chunks; ++c) {
    const size_t off = static_cast<size_t>(c) * kChunk, count = std::min(kChunk, n - off);
#if defined(__GNUC__) && defined(__x86_64__)
    if (have_avx512())
      adam_chunk_avx512(w + off, g + off, m + off, v + off, count, s);
    else
#endif
      adam_chunk(w + off, g + off, m + off, v + off, count, s);
    for (const WorkingCopy& copy : copies) write_working_copy(w, off, count, copy);
  }
}

size_t sum_of_squares_chunks(size_t n) { return (n + kChunk - 1) / kChunk; }

double sum_of_squares(const float* g, size_t n, double* partials) {
  const long chunks = static_cast<long>(sum_of_squares_chunks(n));
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (long c = 0; c < chunks; ++c) {
    const size_t off = static_cast<size_t>(c) * kChunk;
    partials[c] = squares_chunk(g + off, std::min(kChunk, n - off));
  }
  double total = 0;
  for (long c = 0; c < chunks; ++c) total += partials[c];
  return total;
}

const char* fused_update_isa() {
#if defined(__GNUC__) && defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
  return "default";
}

}  // namespace dnntrain::engine
