// Batch-norm passes over (sample, channel block) runs, split evenly over the OpenMP team, chunk by
// chunk of channel blocks so that the second pass reads its inputs from the cache. One run's kernels
// are in layers/batch_norm_runs.*.
#include "layers/batch_norm_kernels.hpp"

#include <omp.h>

#include <algorithm>

#include "engine/cpu_caches.hpp"
#include "layers/batch_norm_runs.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dnntrain::layers {

namespace {

// The level-3 cache CPU 0 shares; 32 MiB where sysfs does not say.
size_t last_level_cache_bytes() {
  static const size_t bytes = [] {
    const size_t reported = engine::cpu_cache_bytes(3);
    return reported > 0 ? reported : size_t{32} << 20;
  }();
  return bytes;
}

// Streaming stores need 16-byte aligned runs of whole 16-byte groups (4 floats, 8 bf16).
template <class T>
bool aligned_for_streaming(const T* out, const ChannelLayout& l) {
  constexpr int64_t group = 16 / sizeof(T);
  return reinterpret_cast<uintptr_t>(out) % 16 == 0 && l.block % group == 0 && l.sample_stride % group == 0 &&
         l.block_stride % group == 0;
}

// Calls run(t, n, b) for the (sample n, block b) of blocks [b0, b1), thread t of the calling team
// taking an even, fixed share.
template <class Run>
void share_runs(const ChannelLayout& l, int64_t b0, int64_t b1, Run&& run) {
  const int t = omp_get_thread_num(), team = omp_get_num_threads();
  const int64_t blocks = b1 - b0, units = l.batch * blocks;
  const int64_t begin = units * t / team, end = units * (t + 1) / team;
  for (int64_t u = begin; u < end; ++u) run(t, u / blocks, b0 + u % blocks);
}

// The two passes of training, chunk by chunk of channel blocks: first over a chunk's runs, then
// sums.total and between on one thread, then second over the same runs. A chunk's `tensors`
// inputs fit in chunk_bytes (at least one block per chunk), so the second pass reads them from
// the cache. Streaming stores are fenced by each thread before the team's closing barrier.
template <class T, class First, class Second>
void two_passes(const ChannelLayout& l, int tensors, size_t chunk_bytes, ChannelSums& sums, double* first_out,
                double* second_out, const BetweenPasses& between, bool streaming, First&& first,
                Second&& second) {
  const size_t block_bytes = static_cast<size_t>(l.batch * l.spatial * l.block) * sizeof(T) * tensors;
  if (chunk_bytes == 0) chunk_bytes = last_level_cache_bytes() / 2;
  const int64_t chunk = std::max<int64_t>(1, static_cast<int64_t>(chunk_bytes / block_bytes));
#pragma omp parallel num_threads(sums.threads())
  {
    for (int64_t b0 = 0; b0 < l.blocks; b0 += chunk) {
      const int64_t b1 = std::min(l.blocks, b0 + chunk);
      share_runs(l, b0, b1, first);
#pragma omp barrier
#pragma omp single
      {
        sums.total(b0 * l.block, b1 * l.block, first_out, second_out);
        between(b0 * l.block, b1 * l.block);
      }
      share_runs(l, b0, b1, second);
    }
#if defined(__x86_64__)
    if (streaming) _mm_sfence();
#endif
  }
}

}  // namespace

bool streams_outputs(const ChannelLayout& l, size_t element_bytes) {
  return static_cast<size_t>(l.batch) * static_cast<size_t>(l.sample_stride) * element_bytes >=
         last_level_cache_bytes();
}

void ChannelSums::resize(int threads, int64_t padded_channels) {
  threads_ = threads;
  padded_ = padded_channels;
  data_.assign(static_cast<size_t>(threads) * 2 * static_cast<size_t>(padded_channels), 0.0);
}

void ChannelSums::total(int64_t c0, int64_t c1, double* first_out, double* second_out) {
  std::fill(first_out + c0, first_out + c1, 0.0);
  std::fill(second_out + c0, second_out + c1, 0.0);
  for (int t = 0; t < threads_; ++t) {
    double* a = first(t);
    double* b = second(t);
    for (int64_t c = c0; c < c1; ++c) {
      first_out[c] += a[c];
      second_out[c] += b[c];
      a[c] = b[c] = 0.0;
    }
  }
}

template <class T>
void channel_normalize_batch(const T* x, T* y, const ChannelLayout& l, const double* shift, ChannelSums& sums,
                             double* sum_x, double* sum_xx, const BetweenPasses& between,
                             const ChannelAffine& map, bool streaming, size_t chunk_bytes) {
  streaming = streaming && aligned_for_streaming(y, l);
  two_passes<T>(
      l, 1, chunk_bytes, sums, sum_x, sum_xx, between, streaming,
      [&](int t, int64_t n, int64_t b) {
        const int64_t c0 = b * l.block;
        runs::moments_run<T>(
            {l.run(x, n, b), l.spatial, l.block, shift + c0, sums.first(t) + c0, sums.second(t) + c0},
            l.block);
      },
      [&](int, int64_t n, int64_t b) {
        const int64_t c0 = b * l.block;
        runs::affine_run<T>({l.run(x, n, b),
                       l.run(y, n, b),
                       l.spatial,
                       l.block,
                       {map.scale + c0, map.offset + c0, map.relu},
                       streaming},
                      l.block);
      });
}

template <class T>
void channel_affine(const T* x, T* y, const ChannelLayout& l, const ChannelAffine& map, bool streaming) {
  streaming = streaming && aligned_for_streaming(y, l);
#pragma omp parallel
  {
    share_runs(l, 0, l.blocks, [&](int, int64_t n, int64_t b) {
      const int64_t c0 = b * l.block;
      runs::affine_run<T>({l.run(x, n, b),
                     l.run(y, n, b),
                     l.spatial,
                     l.block,
                     {map.scale + c0, map.offset + c0, map.relu},
                     streaming},
                    l.block);
    });
#if defined(__x86_64__)
    if (streaming) _mm_sfence();
#endif
  }
}

template <class T>
void channel_backward_batch(const T* x, const T* dy, T* dx, const ChannelLayout& l, const ChannelAffine& map,
                            const double* mean, ChannelSums& sums, double* sum_g, double* sum_gx,
                            const BetweenPasses& between, const InputGradientTerms& terms, bool streaming,
                            size_t chunk_bytes) {
  streaming = streaming && dx && aligned_for_streaming(dx, l);
  two_passes<T>(
      l, 2, chunk_bytes, sums, sum_g, sum_gx, between, streaming,
      [&](int t, int64_t n, int64_t b) {
        const int64_t c0 = b * l.block;
        runs::gradient_sums_run<T>({l.run(x, n, b),
                              l.run(dy, n, b),
                              l.spatial,
                              l.block,
                              {map.scale + c0, map.offset + c0, map.relu},
                              mean + c0,
                              sums.first(t) + c0,
                              sums.second(t) + c0},
                             l.block);
      },
      [&](int, int64_t n, int64_t b) {
        if (!dx) return;
        const int64_t c0 = b * l.block;
        runs::input_gradient_run<T>({l.run(x, n, b),
                               l.run(dy, n, b),
                               l.run(dx, n, b),
                               l.spatial,
                               l.block,
                               {map.scale + c0, map.offset + c0, map.relu},
                               {terms.mean + c0, terms.k + c0, terms.g_mean + c0, terms.scale + c0},
                               streaming},
                              l.block);
      });
}

#define DNNTRAIN_INSTANTIATE(T)                                                                             \
  template void channel_normalize_batch(const T*, T*, const ChannelLayout&, const double*, ChannelSums&,    \
                                        double*, double*, const BetweenPasses&, const ChannelAffine&, bool, \
                                        size_t);                                                            \
  template void channel_affine(const T*, T*, const ChannelLayout&, const ChannelAffine&, bool);             \
  template void channel_backward_batch(const T*, const T*, T*, const ChannelLayout&, const ChannelAffine&,  \
                                       const double*, ChannelSums&, double*, double*, const BetweenPasses&, \
                                       const InputGradientTerms&, bool, size_t);
DNNTRAIN_INSTANTIATE(float)
DNNTRAIN_INSTANTIATE(uint16_t)
#undef DNNTRAIN_INSTANTIATE

}  // namespace dnntrain::layers
