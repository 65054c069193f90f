// The channel lanes of the batch-norm passes (layers/batch_norm_kernels.cpp): W consecutive
// channels as one GCC vector, with loads and (streaming) stores of f32 or bf16 activations, widening
// to double, and the forward map and ReLU mask written once for both directions. Internal to the
// kernels.
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/bf16.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
// The lane types are passed by value between inline functions only; their ABI does not matter.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace dnntrain::layers::lanes {

// W consecutive channels as GCC vectors of float, of mask bits, of float bits, of bf16 bits and of
// double (8 doubles fill one AVX-512 register); W = 1 is plain scalars.
template <int W>
struct LaneTypes;
template <>
struct LaneTypes<8> {
  using F = float __attribute__((vector_size(32)));
  using M = int32_t __attribute__((vector_size(32)));
  using U = uint32_t __attribute__((vector_size(32)));
  using H = uint16_t __attribute__((vector_size(16)));
  using D = double __attribute__((vector_size(64)));
};
template <>
struct LaneTypes<1> {
  using F = float;
  using M = int32_t;
  using U = uint32_t;
  using H = uint16_t;
  using D = double;
};

// Activations are float or uint16_t holding bf16 bits (engine/bf16.hpp); the overloads of load,
// store and stream per element type are all a pass needs to know of it. Per-channel terms are float.
template <int W>
struct Lanes {
  using F = typename LaneTypes<W>::F;
  using M = typename LaneTypes<W>::M;
  using U = typename LaneTypes<W>::U;
  using H = typename LaneTypes<W>::H;
  using D = typename LaneTypes<W>::D;

  static F load(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static D load(const double* p) {
    D v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  // bf16 widens to float exactly: its bits are the float's upper half. Element by element (here and
  // in narrow), as in widen below: GCC 12 makes one vpmovzxwd (vpmovdw) of it, where
  // __builtin_convertvector converts each half apart.
  static F load(const uint16_t* p) {
    H h;
    std::memcpy(&h, p, sizeof h);
    if constexpr (W == 1)
      return engine::from_bf16(h);
    else
      return F(U{h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]} << 16);
  }
  // engine::to_bf16 lane by lane, bit for bit: round to nearest even by adding 0x7fff plus the
  // kept part's lowest bit (a carry into the exponent makes the largest values infinite);
  // denormals become signed zeros, as AVX-512 BF16's vcvtneps2bf16 and oneDNN make them; NaN
  // keeps its upper half, made quiet.
  static H narrow(F v) {
    if constexpr (W == 1) {
      return engine::to_bf16(v);
    } else {
      const U bits = U(v);
      const U rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
      const U nan = U(v != v);  // one unordered compare, where an integer test of the bits takes three
      const U tiny = U((bits & 0x7f800000u) == 0u);  // zero or denormal: the sign alone
      const U r = (((bits >> 16) | 0x40u) & nan) | ((bits >> 16) & 0x8000u & tiny) | (rounded & ~nan & ~tiny);
      return H{uint16_t(r[0]), uint16_t(r[1]), uint16_t(r[2]), uint16_t(r[3]),
               uint16_t(r[4]), uint16_t(r[5]), uint16_t(r[6]), uint16_t(r[7])};
    }
  }
  static void store(float* p, F v) { std::memcpy(p, &v, sizeof v); }
  static void store(uint16_t* p, F v) {
    const H h = narrow(v);
    std::memcpy(p, &h, sizeof h);
  }
  // Non-temporal where p is 16-byte aligned and the lanes fill whole 16-byte stores.
  static void stream(float* p, F v) {
#if defined(__x86_64__)
    if constexpr (W % 4 == 0) {
      for (int i = 0; i < W; i += 4) {
        __m128 part;
        std::memcpy(&part, reinterpret_cast<const char*>(&v) + 4 * i, sizeof part);
        _mm_stream_ps(p + i, part);
      }
      return;
    }
#endif
    store(p, v);
  }
  // 16 bytes are 8 bf16 lanes.
  static void stream(uint16_t* p, F v) {
#if defined(__x86_64__)
    if constexpr (W % 8 == 0) {
      const H h = narrow(v);
      for (int i = 0; i < W; i += 8) {
        __m128i part;
        std::memcpy(&part, reinterpret_cast<const char*>(&h) + 2 * i, sizeof part);
        _mm_stream_si128(reinterpret_cast<__m128i*>(p + i), part);
      }
      return;
    }
#endif
    store(p, v);
  }
  static void add_to(double* p, D v) {
    const D sum = load(p) + v;
    std::memcpy(p, &sum, sizeof sum);
  }
  // Element by element: GCC 12 turns this into one AVX-512 conversion, where
  // __builtin_convertvector gives four instructions.
  static D widen(F v) {
    if constexpr (W == 1)
      return v;
    else
      return D{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  }

  // The forward map, one definition for both directions, so that backward's ReLU mask is the one
  // forward applied.
  static F affine(F x, F scale, F offset) { return x * scale + offset; }
  // max(v, 0) as std::max computes it: NaN stays NaN.
  static F relu(F v) {
    if constexpr (W == 1)
      return v < 0.f ? 0.f : v;
    else
      return F(M(v) & ~M(v < 0.f));
  }
  // g where the pre-activation was positive, else 0.
  static F masked(F g, F pre) {
    if constexpr (W == 1)
      return pre > 0.f ? g : 0.f;
    else
      return F(M(g) & M(pre > 0.f));
  }
  // The gradient reaching the batch norm: dy, or dy where forward's ReLU passed x·scale + offset.
  template <class T>
  static F gradient(const T* dy, F x, F scale, F offset, bool relu) {
    const F g = load(dy);
    return relu ? masked(g, affine(x, scale, offset)) : g;
  }
};

}  // namespace dnntrain::layers::lanes
