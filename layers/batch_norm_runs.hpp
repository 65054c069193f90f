// One batch-norm run: `spatial` positions `block` elements apart (a run of nChw16c, or a whole
// nhwc sample). A pass takes the channels of a run 16, then 8, then 1 at a time as one GCC vector,
// so that its double accumulators stay in registers for the whole run (layers/batch_norm_lanes.hpp).
// Each pass is a template on the activations' element type, float or bf16 bits: only their loads
// and stores differ. The run functions are cloned per instruction set (batch_norm_runs.cpp).
#pragma once

#include <cstdint>
#include <cstring>

#include "layers/batch_norm_kernels.hpp"
#include "layers/batch_norm_lanes.hpp"

namespace dnntrain::layers::runs {

using lanes::Lanes;

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

template <class T>
void moments_run(MomentsKernel<T> k, int64_t block);
template <class T>
void affine_run(AffineKernel<T> k, int64_t block);
template <class T>
void gradient_sums_run(GradientSumsKernel<T> k, int64_t block);
template <class T>
void input_gradient_run(InputGradientKernel<T> k, int64_t block);

}  // namespace dnntrain::layers::runs
