// The run functions of layers/batch_norm_runs.hpp, each cloned per instruction set.
#include "layers/batch_norm_runs.hpp"

#include <algorithm>
#include <vector>

namespace dnntrain::layers::runs {

namespace {

// x86-64-v3 and v4 have FMA at every vector width (plain avx2 or avx512f clones do not for 256-bit
// vectors), so x·scale + offset is one fused multiply-add wherever a clone computes it: forward
// and backward round it alike.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DNNTRAIN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DNNTRAIN_CLONES
#endif

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

}  // namespace

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


#define DNNTRAIN_INSTANTIATE(T)                                              \
  template void moments_run(MomentsKernel<T>, int64_t);                      \
  template void affine_run(AffineKernel<T>, int64_t);                        \
  template void gradient_sums_run(GradientSumsKernel<T>, int64_t);           \
  template void input_gradient_run(InputGradientKernel<T>, int64_t);
DNNTRAIN_INSTANTIATE(float)
DNNTRAIN_INSTANTIATE(uint16_t)
#undef DNNTRAIN_INSTANTIATE

}  // namespace dnntrain::layers::runs
