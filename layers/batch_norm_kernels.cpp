// Batch-norm passes over (sample, channel block) runs, split evenly over the OpenMP team. Each run
// is `spatial` vectors of `block` channels; the inner loops are cloned per instruction set.
#include "layers/batch_norm_kernels.hpp"

#include <algorithm>

#include <omp.h>

namespace dnntrain::layers {

namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DNNTRAIN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DNNTRAIN_CLONES
#endif

// Calls run(t, n, b) for every (sample n, block b), thread t taking an even, fixed share.
template <class Run>
void for_each_run(const ChannelLayout& l, int threads, Run&& run) {
  const int64_t units = l.batch * l.blocks;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t begin = units * t / team, end = units * (t + 1) / team;
    for (int64_t u = begin; u < end; ++u) run(t, u / l.blocks, u % l.blocks);
  }
}

DNNTRAIN_CLONES void moments_run(const float* __restrict x, int64_t spatial, int64_t block,
                                 const double* __restrict shift, double* __restrict s1, double* __restrict s2) {
  for (int64_t s = 0; s < spatial; ++s) {
    const float* p = x + s * block;
#pragma omp simd
    for (int64_t j = 0; j < block; ++j) {
      const double v = static_cast<double>(p[j]) - shift[j];
      s1[j] += v;
      s2[j] += v * v;
    }
  }
}

DNNTRAIN_CLONES void affine_run(const float* __restrict x, float* __restrict y, int64_t spatial, int64_t block,
                                const float* __restrict scale, const float* __restrict offset, bool relu) {
  for (int64_t s = 0; s < spatial; ++s) {
    const float* p = x + s * block;
    float* q = y + s * block;
    if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < block; ++j) q[j] = std::max(p[j] * scale[j] + offset[j], 0.f);
    } else {
#pragma omp simd
      for (int64_t j = 0; j < block; ++j) q[j] = p[j] * scale[j] + offset[j];
    }
  }
}

// The backward passes come in two versions, with and without the ReLU mask, so that each inner
// loop is a branch-free select the compiler vectorises.
DNNTRAIN_CLONES void gradient_sums_run(const float* __restrict x, const float* __restrict dy, int64_t spatial,
                                       int64_t block, const double* __restrict mean, double* __restrict s1,
                                       double* __restrict s2) {
  for (int64_t s = 0; s < spatial; ++s) {
    const int64_t o = s * block;
#pragma omp simd
    for (int64_t j = 0; j < block; ++j) {
      const double g = dy[o + j];
      s1[j] += g;
      s2[j] += g * (static_cast<double>(x[o + j]) - mean[j]);
    }
  }
}

DNNTRAIN_CLONES void masked_gradient_sums_run(const float* __restrict x, const float* __restrict dy,
                                              const float* __restrict y, int64_t spatial, int64_t block,
                                              const double* __restrict mean, double* __restrict s1,
                                              double* __restrict s2) {
  // The mask is applied in float first: a select mixed with the widening to double does not vectorise.
  constexpr int64_t kLanes = 16;
  float g[kLanes];
  for (int64_t s = 0; s < spatial; ++s) {
    for (int64_t j0 = 0; j0 < block; j0 += kLanes) {
      const int64_t o = s * block + j0, n = std::min(kLanes, block - j0);
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) {
        const float d = dy[o + j];
        g[j] = y[o + j] > 0.f ? d : 0.f;
      }
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) {
        s1[j0 + j] += g[j];
        s2[j0 + j] += static_cast<double>(g[j]) * (static_cast<double>(x[o + j]) - mean[j0 + j]);
      }
    }
  }
}

DNNTRAIN_CLONES void input_gradient_run(const float* __restrict x, const float* __restrict dy,
                                        float* __restrict dx, int64_t spatial, int64_t block,
                                        const float* __restrict mean, const float* __restrict k,
                                        const float* __restrict g_mean, const float* __restrict scale) {
  for (int64_t s = 0; s < spatial; ++s) {
    const int64_t o = s * block;
#pragma omp simd
    for (int64_t j = 0; j < block; ++j) dx[o + j] = (dy[o + j] - (x[o + j] - mean[j]) * k[j] - g_mean[j]) * scale[j];
  }
}

DNNTRAIN_CLONES void masked_input_gradient_run(const float* __restrict x, const float* __restrict dy,
                                               const float* __restrict y, float* __restrict dx, int64_t spatial,
                                               int64_t block, const float* __restrict mean,
                                               const float* __restrict k, const float* __restrict g_mean,
                                               const float* __restrict scale) {
  for (int64_t s = 0; s < spatial; ++s) {
    const int64_t o = s * block;
#pragma omp simd
    for (int64_t j = 0; j < block; ++j) {
      const float d = dy[o + j];
      const float g = y[o + j] > 0.f ? d : 0.f;
      dx[o + j] = (g - (x[o + j] - mean[j]) * k[j] - g_mean[j]) * scale[j];
    }
  }
}

}  // namespace

void ChannelSums::resize(int threads, int64_t padded_channels) {
  threads_ = threads;
  padded_ = padded_channels;
  data_.assign(static_cast<size_t>(threads) * 2 * static_cast<size_t>(padded_channels), 0.0);
}

void ChannelSums::clear() { std::fill(data_.begin(), data_.end(), 0.0); }

void ChannelSums::total(double* first_out, double* second_out) const {
  std::fill(first_out, first_out + padded_, 0.0);
  std::fill(second_out, second_out + padded_, 0.0);
  for (int t = 0; t < threads_; ++t) {
    const double* a = data_.data() + static_cast<size_t>(t) * 2 * padded_;
    for (int64_t c = 0; c < padded_; ++c) {
      first_out[c] += a[c];
      second_out[c] += a[padded_ + c];
    }
  }
}

void channel_moments(const float* x, const ChannelLayout& l, const double* shift, ChannelSums& sums,
                     double* sum_x, double* sum_xx) {
  sums.clear();
  for_each_run(l, sums.threads(), [&](int t, int64_t n, int64_t b) {
    const int64_t c0 = b * l.block;
    moments_run(l.run(x, n, b), l.spatial, l.block, shift + c0, sums.first(t) + c0, sums.second(t) + c0);
  });
  sums.total(sum_x, sum_xx);
}

void channel_affine(const float* x, float* y, const ChannelLayout& l, const float* scale, const float* offset,
                    bool relu) {
  for_each_run(l, omp_get_max_threads(), [&](int, int64_t n, int64_t b) {
    const int64_t c0 = b * l.block;
    affine_run(l.run(x, n, b), l.run(y, n, b), l.spatial, l.block, scale + c0, offset + c0, relu);
  });
}

void channel_gradient_sums(const float* x, const float* dy, const float* y, const ChannelLayout& l,
                           const double* mean, ChannelSums& sums, double* sum_g, double* sum_gx) {
  sums.clear();
  for_each_run(l, sums.threads(), [&](int t, int64_t n, int64_t b) {
    const int64_t c0 = b * l.block;
    if (y)
      masked_gradient_sums_run(l.run(x, n, b), l.run(dy, n, b), l.run(y, n, b), l.spatial, l.block, mean + c0,
                               sums.first(t) + c0, sums.second(t) + c0);
    else
      gradient_sums_run(l.run(x, n, b), l.run(dy, n, b), l.spatial, l.block, mean + c0, sums.first(t) + c0,
                        sums.second(t) + c0);
  });
  sums.total(sum_g, sum_gx);
}

void channel_input_gradient(const float* x, const float* dy, const float* y, float* dx, const ChannelLayout& l,
                            const float* mean, const float* k, const float* g_mean, const float* scale) {
  for_each_run(l, omp_get_max_threads(), [&](int, int64_t n, int64_t b) {
    const int64_t c0 = b * l.block;
    if (y)
      masked_input_gradient_run(l.run(x, n, b), l.run(dy, n, b), l.run(y, n, b), l.run(dx, n, b), l.spatial,
                                l.block, mean + c0, k + c0, g_mean + c0, scale + c0);
    else
      input_gradient_run(l.run(x, n, b), l.run(dy, n, b), l.run(dx, n, b), l.spatial, l.block, mean + c0, k + c0,
                         g_mean + c0, scale + c0);
  });
}

}  // namespace dnntrain::layers
