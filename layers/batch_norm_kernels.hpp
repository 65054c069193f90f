// The per-channel passes of batch normalisation, with every reduction accumulated in double as
// PyTorch's CPU kernels do: oneDNN 2.6's batch norm sums in f32 sequentially over up to N·H·W
// values per thread, an error that moves activations across ReLU kinks (docs/numerics.md).
// Activations x, y, dy, dx are all f32 (T = float) or all bf16 (T = uint16_t holding the bits,
// engine/bf16.hpp): bf16 loads widen to f32 exactly, every computation is the f32 one, and each
// stored value is the f32 result rounded once to nearest even (engine::to_bf16, bit for bit).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "layers/channel_layout.hpp"

namespace dnntrain::layers {

// Per-thread partial sums, sized once for the team and the padded channel count. Zero between
// passes: total() hands the sums of a channel range out and zeroes its partials.
class ChannelSums {
 public:
  void resize(int threads, int64_t padded_channels);
  int threads() const { return threads_; }
  double* first(int t) { return data_.data() + static_cast<size_t>(t) * 2 * padded_; }
  double* second(int t) { return first(t) + padded_; }
  // For channels [c0, c1): adds every thread's partials, in thread order (deterministic for a
  // given team size), into first_out[c] and second_out[c], and zeroes them.
  void total(int64_t c0, int64_t c1, double* first_out, double* second_out);

 private:
  int threads_ = 0;
  int64_t padded_ = 0;
  std::vector<double> data_;
};

// The forward affine map per padded channel, y = x·scale[c] + offset[c], and whether a ReLU
// follows it. Zero past the real channels, so padding stays zero. Backward recomputes the ReLU's
// mask from x with the same map and the same arithmetic, bit for bit, instead of reading y. In
// bf16 the mask is the f32 pre-activation's sign, before rounding: the same as y's but for
// positive denormal pre-activations (below 2^-126), which are stored as +0 and still pass their
// gradient (the ReLU's derivative at a positive input).
struct ChannelAffine {
  const float* scale = nullptr;
  const float* offset = nullptr;
  bool relu = false;
};

// Called between the two passes of a chunk of channels [c0, c1) (padded channel indices), once
// the chunk's sums are totalled: computes what the second pass reads for those channels.
using BetweenPasses = std::function<void(int64_t c0, int64_t c1)>;

// Training forward. Per chunk of channel blocks small enough to stay in the last-level cache:
// sum_x[c] = Σ (x - shift[c]) and sum_xx[c] = Σ (x - shift[c])², then between(c0, c1), which
// fills map.scale and map.offset there, then y = x·scale[c] + offset[c] (max(y, 0) when
// map.relu). Chunk by chunk, the second pass reads x from the cache, not from memory. A chunk's
// inputs (sizeof(T) bytes an element) fill at most chunk_bytes (0: half the last-level cache), and
// at least one block.
template <class T>
void channel_normalize_batch(const T* x, T* y, const ChannelLayout& l, const double* shift, ChannelSums& sums,
                             double* sum_x, double* sum_xx, const BetweenPasses& between,
                             const ChannelAffine& map, bool streaming, size_t chunk_bytes = 0);

// y = x·scale[c] + offset[c], then max(y, 0) when map.relu: the forward with statistics known.
// With `streaming`, y is written with non-temporal stores where it is 16-byte aligned (same
// values, bit for bit).
template <class T>
void channel_affine(const T* x, T* y, const ChannelLayout& l, const ChannelAffine& map, bool streaming);

// The terms of dx = (g - (x - mean[c])·k[c] - g_mean[c]) · scale[c] per padded channel.
struct InputGradientTerms {
  const float* mean = nullptr;
  const float* k = nullptr;
  const float* g_mean = nullptr;
  const float* scale = nullptr;
};

// Training backward, chunked as channel_normalize_batch. With g = dy, or g = dy·[x·scale + offset
// > 0] when map.relu: sum_g[c] = Σ g and sum_gx[c] = Σ g·(x - mean[c]), then between(c0, c1),
// which fills `terms` there, then dx as above unless dx is null. `streaming` as in channel_affine.
template <class T>
void channel_backward_batch(const T* x, const T* dy, T* dx, const ChannelLayout& l, const ChannelAffine& map,
                            const double* mean, ChannelSums& sums, double* sum_g, double* sum_gx,
                            const BetweenPasses& between, const InputGradientTerms& terms, bool streaming,
                            size_t chunk_bytes = 0);

// Whether outputs of this layout, element_bytes each (4 for f32, 2 for bf16), should be written with
// non-temporal stores: when they are at least the size of the level-3 cache CPU 0 shares (32 MiB
// where the system does not say), they cannot stay cached until the next layer reads them, and such
// stores skip reading each line before overwriting it.
bool streams_outputs(const ChannelLayout& l, size_t element_bytes);

}  // namespace dnntrain::layers
