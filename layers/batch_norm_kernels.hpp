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

// Per channel c < channels: sum_x[c] = Σ (x - shift[c]), sum_xx[c] = Σ (x - shift[c])².
void channel_moments(const float* x, const ChannelLayout& l, const double* shift, ChannelSums& sums,
                     double* sum_x, double* sum_xx);

// y = x·scale[c] + offset[c], then max(y, 0) when relu. scale and offset span the padded
// channels (zero there, so padding stays zero).
void channel_affine(const float* x, float* y, const ChannelLayout& l, const float* scale, const float* offset,
                    bool relu);

// With g = dy, or g = dy·[y > 0] when y is given (the fused ReLU's mask from its own output):
// sum_g[c] = Σ g, sum_gx[c] = Σ g·(x - mean[c]).
void channel_gradient_sums(const float* x, const float* dy, const float* y, const ChannelLayout& l,
                           const double* mean, ChannelSums& sums, double* sum_g, double* sum_gx);

// dx = (g - (x - mean[c])·k[c] - g_mean[c]) · scale[c], g as above.
void channel_input_gradient(const float* x, const float* dy, const float* y, float* dx, const ChannelLayout& l,
                            const float* mean, const float* k, const float* g_mean, const float* scale);

}  // namespace dnntrain::layers
