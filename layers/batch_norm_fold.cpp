// BN folding in double; see batch_norm_fold.hpp.
#include "layers/batch_norm_fold.hpp"

#include <cmath>
#include <cstddef>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace dnntrain::layers {

FoldedConv fold_batch_norm(std::span<const float> weights, std::span<const float> bias, int out_channels,
                           std::span<const float> gamma, std::span<const float> beta,
                           std::span<const float> running_mean, std::span<const float> running_var,
                           double eps) {
  const auto channels = static_cast<size_t>(out_channels);
  DNNTRAIN_CHECK(out_channels > 0 && weights.size() % channels == 0,
                 fmt::format("fold_batch_norm: {} weights do not split into {} output channels",
                             weights.size(), out_channels));
  DNNTRAIN_CHECK(bias.empty() || bias.size() == channels, fmt::format("fold_batch_norm: bias has {} values for {} channels", bias.size(), out_channels));
  DNNTRAIN_CHECK(gamma.size() == channels && beta.size() == channels && running_mean.size() == channels &&
                     running_var.size() == channels,
                 fmt::format("fold_batch_norm: batch norm parameters are not {} long", out_channels));
  const size_t per_channel = weights.size() / channels;
  FoldedConv folded{std::vector<float>(weights.size()), std::vector<float>(channels)};
  for (size_t o = 0; o < channels; ++o) {
    const double variance = static_cast<double>(running_var[o]) + eps;
    DNNTRAIN_CHECK(variance > 0, fmt::format("fold_batch_norm: channel {} has running_var + eps = {}", o, variance));
    const double scale = static_cast<double>(gamma[o]) / std::sqrt(variance);
    for (size_t k = 0; k < per_channel; ++k)
      folded.weights[o * per_channel + k] = static_cast<float>(weights[o * per_channel + k] * scale);
    const double b = bias.empty() ? 0.0 : static_cast<double>(bias[o]);
    folded.bias[o] = static_cast<float>((b - running_mean[o]) * scale + beta[o]);
  }
  return folded;
}

}  // namespace dnntrain::layers
