// Batch-norm passes over (sample, channel block) runs, split evenly over the OpenMP team. Each run
// is `spatial` positions `block` elements apart. A pass takes the channels of a run 16, then 8, then
// 1 at a time as one GCC vector, so that its double accumulators stay in registers for the whole
// run (layers/batch_norm_lanes.hpp). Each pass is a template on the activations' element type,
// float or bf16 bits: only their loads and stores differ. The passes are cloned per instruction set.
#include "layers/batch_norm_kernels.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "layers/batch_norm_lanes.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dnntrain::layers {

namespace {

using lanes::Lanes;

// x86-64-v3 and v4 have FMA at every vector width (plain avx2 or avx512f clones do not for 256-bit
// vectors), so x·scale + offset is one fused multiply-add wherever a clone computes it: forward
// and backward round it alike.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DNNTRAIN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DNNTRAIN_CLONES
#endif

// Calls kernel.template run<G, W>(j) for the channels of a block: two groups of 8 lanes at a time
// (a run of nChw16c), then one group of 8, then single channels. A kernel keeps one set of
// accumulators per group, each a register.
template <class Kernel>
[[gnu::always_inline]] inline void for_channel_groups(int64_t block, Kernel& kernel) {
  int64_t j = 0;
  for (; j + 16 <= block; j += 16) kernel.template run<2, 8>(j);
  for (; j + 8 <= block; j += 8) kernel.template run<1, 8>(j);
  for (; j < block; ++j) kernel.template run<1, 1>(j);
}

// A run of more than 16 channels (nhwc) is taken in spatial tiles of kTileBytes per tensor, so that
// every channel group after the first reads the tile from L1: untiled, each group's pass strode
// through the whole run. Accumulating kernels carry their sums from tile to tile in `carry` (2 ×
// block doubles, zero at the run's start), so each channel's sum is the same chain of additions,
// bit for bit, as over the untiled run.
constexpr int64_t kTileBytes = 8192;

// The end of an accumulating kernel's tile: the sums go on in `carry`, or after the last tile into
// the thread's channel sums.
template <int G, int W, class L>
[[gnu::always_inline]] inline void finish(int64_t j, const typename L::D* a, const typename L::D* q, double* carry,
                                          int64_t block, bool last, double* s1, double* s2) {
#pragma GCC unroll 2
  for (int g = 0; g < G; ++g) {
    const int64_t c = j + W * g;
    if (last) {
      L::add_to(s1 + c, a[g]), L::add_to(s2 + c, q[g]);
    } else {
      std::memcpy(carry + c, &a[g], sizeof a[g]);
      std::memcpy(carry + block + c, &q[g], sizeof q[g]);
    }
  }
}

template <class T>
struct MomentsKernel {
  const T* x;
  int64_t spatial, stride;
  const double* shift;
  double *s1, *s2;
  double* carry = nullptr;
  int64_t block = 0;
  bool last = true;

  void advance(int64_t s, int64_t n, bool last_tile) { x += s * stride, spatial = n, last = last_tile; }

  template <int G, int W>
  [[gnu::always_inline]] void run(int64_t j) {
    using L = Lanes<W>;
    typename L::D sh[G], a[G], q[G];
#pragma GCC unroll 2
    for (int g = 0; g < G; ++g)
      sh[g] = L::load(shift + j + W * g), a[g] = L::load(carry + j + W * g), q[g] = L::load(carry + block + j + W * g);
    for (int64_t s = 0; s < spatial; ++s) {
#pragma GCC unroll 2
      for (int g = 0; g < G; ++g) {
        const typename L::D v = L::widen(L::load(x + s * stride + j + W * g)) - sh[g];
        a[g] += v;
        q[g] += v * v;
      }
    }
    finish<G, W, L>(j, a, q, carry, block, last, s1, s2);
  }
};

template <class T>
struct AffineKernel {
  const T* x;
  T* y;
  int64_t spatial, stride;
  ChannelAffine map;
  bool streaming;

  void advance(int64_t s, int64_t n, bool) { x += s * stride, y += s * stride, spatial = n; }

  template <int G, int W>
  [[gnu::always_inline]] void run(int64_t j) {
    using L = Lanes<W>;
    typename L::F scale[G], offset[G];
#pragma GCC unroll 2
    for (int g = 0; g < G; ++g)
      scale[g] = L::load(map.scale + j + W * g), offset[g] = L::load(map.offset + j + W * g);
    for (int64_t s = 0; s < spatial; ++s) {
#pragma GCC unroll 2
      for (int g = 0; g < G; ++g) {
        const int64_t o = s * stride + j + W * g;
        typename L::F v = L::affine(L::load(x + o), scale[g], offset[g]);
        if (map.relu) v = L::relu(v);
        if (streaming)
          L::stream(y + o, v);
        else
          L::store(y + o, v);
      }
    }
  }
};

template <class T>
struct GradientSumsKernel {
  const T *x, *dy;
  int64_t spatial, stride;
  ChannelAffine map;
  const double* mean;
  double *s1, *s2;
  double* carry = nullptr;
  int64_t block = 0;
  bool last = true;

  void advance(int64_t s, int64_t n, bool last_tile) {
    x += s * stride, dy += s * stride, spatial = n, last = last_tile;
  }

  template <int G, int W>
  [[gnu::always_inline]] void run(int64_t j) {
    using L = Lanes<W>;
    typename L::F scale[G], offset[G];
    typename L::D m[G], a[G], q[G];
#pragma GCC unroll 2
    for (int g = 0; g < G; ++g) {
      scale[g] = L::load(map.scale + j + W * g), offset[g] = L::load(map.offset + j + W * g);
      m[g] = L::load(mean + j + W * g);
      a[g] = L::load(carry + j + W * g), q[g] = L::load(carry + block + j + W * g);
    }
    for (int64_t s = 0; s < spatial; ++s) {
#pragma GCC unroll 2
      for (int g = 0; g < G; ++g) {
        const int64_t o = s * stride + j + W * g;
        const typename L::F xv = L::load(x + o);
        const typename L::D gd = L::widen(L::gradient(dy + o, xv, scale[g], offset[g], map.relu));
        a[g] += gd;
        q[g] += gd * (L::widen(xv) - m[g]);
      }
    }
    finish<G, W, L>(j, a, q, carry, block, last, s1, s2);
  }
};

template <class T>
struct InputGradientKernel {
  const T *x, *dy;
  T* dx;
  int64_t spatial, stride;
  ChannelAffine map;
  InputGradientTerms t;
  bool streaming;

  void advance(int64_t s, int64_t n, bool) { x += s * stride, dy += s * stride, dx += s * stride, spatial = n; }

  template <int G, int W>
  [[gnu::always_inline]] void run(int64_t j) {
    using L = Lanes<W>;
    typename L::F scale[G], offset[G], mean[G], k[G], g_mean[G], input_scale[G];
#pragma GCC unroll 2
    for (int g = 0; g < G; ++g) {
      const int64_t c = j + W * g;
      scale[g] = L::load(map.scale + c), offset[g] = L::load(map.offset + c);
      mean[g] = L::load(t.mean + c), k[g] = L::load(t.k + c), g_mean[g] = L::load(t.g_mean + c);
      input_scale[g] = L::load(t.scale + c);
    }
    for (int64_t s = 0; s < spatial; ++s) {
#pragma GCC unroll 2
      for (int g = 0; g < G; ++g) {
        const int64_t o = s * stride + j + W * g;
        const typename L::F xv = L::load(x + o);
        const typename L::F gv = L::gradient(dy + o, xv, scale[g], offset[g], map.relu);
        const typename L::F v = (gv - (xv - mean[g]) * k[g] - g_mean[g]) * input_scale[g];
        if (streaming)
          L::stream(dx + o, v);
        else
          L::store(dx + o, v);
      }
    }
  }
};

// Runs kernel k over its run in spatial tiles (one tile when the run has at most 16 channels).
template <class T, class Kernel>
[[gnu::always_inline]] inline void over_tiles(Kernel k, int64_t block) {
  const int64_t spatial = k.spatial;
  const int64_t tile = block <= 16 ? spatial : std::max<int64_t>(1, kTileBytes / (block * int64_t{sizeof(T)}));
  for (int64_t s = 0; s < spatial; s += tile) {
    Kernel t = k;
    t.advance(s, std::min(tile, spatial - s), s + tile >= spatial);
    for_channel_groups(block, t);
  }
}

// Zeroed room for an accumulating kernel's carry: 2 × block doubles of the calling thread.
double* zeroed_carry(int64_t block) {
  thread_local std::vector<double> carry;
  carry.assign(static_cast<size_t>(2 * block), 0.0);
  return carry.data();
}

template <class T>
DNNTRAIN_CLONES void moments_run(MomentsKernel<T> k, int64_t block) {
  k.carry = zeroed_carry(block), k.block = block;
  over_tiles<T>(k, block);
}
template <class T>
DNNTRAIN_CLONES void affine_run(AffineKernel<T> k, int64_t block) {
  over_tiles<T>(k, block);
}
template <class T>
DNNTRAIN_CLONES void gradient_sums_run(GradientSumsKernel<T> k, int64_t block) {
  k.carry = zeroed_carry(block), k.block = block;
  over_tiles<T>(k, block);
}
template <class T>
DNNTRAIN_CLONES void input_gradient_run(InputGradientKernel<T> k, int64_t block) {
  over_tiles<T>(k, block);
}

// The level-3 cache CPU 0 shares, as the kernel reports it in sysfs ("32768K"). glibc's
// sysconf(_SC_LEVEL3_CACHE_SIZE) can report the whole package's instead (320 MiB on a 2-core
// EPYC VM whose L3 is 32 MiB). 32 MiB where neither says.
size_t last_level_cache_bytes() {
  static const size_t bytes = [] {
    size_t kib = 0;
    if (FILE* f = std::fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r")) {
      if (std::fscanf(f, "%zuK", &kib) != 1) kib = 0;
      std::fclose(f);
    }
    return kib > 0 ? kib << 10 : size_t{32} << 20;
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
        moments_run<T>(
            {l.run(x, n, b), l.spatial, l.block, shift + c0, sums.first(t) + c0, sums.second(t) + c0},
            l.block);
      },
      [&](int, int64_t n, int64_t b) {
        const int64_t c0 = b * l.block;
        affine_run<T>({l.run(x, n, b),
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
      affine_run<T>({l.run(x, n, b),
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
        gradient_sums_run<T>({l.run(x, n, b),
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
        input_gradient_run<T>({l.run(x, n, b),
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
