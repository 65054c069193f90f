// The per-channel passes of batch normalisation, with every reduction accumulated in double as
// PyTorch's CPU kernels do: oneDNN 2.6's batch norm sums in f32 sequentially over up to N·H·W
// values per thread, an error that moves activations across ReLU kinks (docs/numerics.md).
#pragma once

#include <cstdint>
#include <vector>

#include "layers/channel_layout.hpp"

namespace dnntrain::layers {

// Per-thread partial sums, sized once for the team and the padded channel count.
class ChannelSums {
 public:
  void resize(int threads, int64_t padded_channels);
  int threads() const { return threads_; }
  void clear();
  double* first(int t) { return data_.data() + static_cast<size_t>(t) * 2 * padded_; }
  double* second(int t) { return first(t) + padded_; }
  // Adds every thread's partials, in thread order (deterministic for a given team size).
  void total(double* first_out, double* second_out) const;

 private:
  int threads_ = 0;
  int64_t padded_ = 0;
  std::vector<double> data_;
};

// The forward affine map per padded channel, y = x·scale[c] + offset[c], and whether a ReLU
// follows it. Zero past the real channels, so padding stays zero. Backward recomputes the ReLU's
// mask from x with the same map and the same arithmetic, bit for bit, instead of reading y.
struct ChannelAffine {
  const float* scale = nullptr;
  const float* offset = nullptr;
  bool relu = false;
};

// Per channel c < channels: sum_x[c] = Σ (x - shift[c]), sum_xx[c] = Σ (x - shift[c])².
void channel_moments(const float* x, const ChannelLayout& l, const double* shift, ChannelSums& sums,
                     double* sum_x, double* sum_xx);

// y = x·scale[c] + offset[c], then max(y, 0) when relu. With `streaming`, y is written with
// non-temporal stores where it is 16-byte aligned (same values, bit for bit).
void channel_affine(const float* x, float* y, const ChannelLayout& l, const ChannelAffine& map, bool streaming);

// With g = dy, or g = dy·[x·scale + offset > 0] when map.relu:
// sum_g[c] = Σ g, sum_gx[c] = Σ g·(x - mean[c]).
void channel_gradient_sums(const float* x, const float* dy, const ChannelLayout& l, const ChannelAffine& map,
                           const double* mean, ChannelSums& sums, double* sum_g, double* sum_gx);

// The terms of dx = (g - (x - mean[c])·k[c] - g_mean[c]) · scale[c] per padded channel.
struct InputGradientTerms {
  const float* mean = nullptr;
  const float* k = nullptr;
  const float* g_mean = nullptr;
  const float* scale = nullptr;
};

// dx as above, g as in channel_gradient_sums; `streaming` as in channel_affine.
void channel_input_gradient(const float* x, const float* dy, float* dx, const ChannelLayout& l,
                            const ChannelAffine& map, const InputGradientTerms& terms, bool streaming);

// Whether outputs of this layout should be written with non-temporal stores: when they are at least
// the last-level cache's size (32 MiB where the system does not say), they cannot stay cached
// until the next layer reads them, and such stores skip reading each line before overwriting it.
bool streams_outputs(const ChannelLayout& l);

}  // namespace dnntrain::layers
