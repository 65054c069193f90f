// Reference batch normalisation: two-pass statistics in double and the closed-form backward
//   diff_src = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)).
#include "tests/reference/batch_norm.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace dnntrain::reference {
namespace {

void check_channels(const char* what, const Tensor& src, std::initializer_list<const Tensor*> per_channel) {
  require_storage(what, {&src});
  require_storage(what, per_channel);
  if (src.dims.size() != 4) {
    throw std::invalid_argument(
        fmt::format("reference {}: src dims {} are not NCHW", what, format_dims(src.dims)));
  }
  for (const Tensor* t : per_channel) {
    if (t->dims != std::vector<int64_t>{src.dims[1]}) {
      throw std::invalid_argument(fmt::format("reference {}: per-channel tensor dims {} for src {}", what,
                                              format_dims(t->dims), format_dims(src.dims)));
    }
  }
}

Tensor normalise(const Tensor& src, const Tensor& gamma, const Tensor& beta, const std::vector<double>& mean,
                 const std::vector<double>& var, double eps, bool fuse_relu) {
  const int64_t N = src.dims[0], C = src.dims[1], HW = src.dims[2] * src.dims[3];
  Tensor dst = make_tensor(src.dims);
  for (int64_t c = 0; c < C; ++c) {
    const double inv_std = 1.0 / std::sqrt(var[c] + eps);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < HW; ++s) {
        const size_t k = static_cast<size_t>((n * C + c) * HW + s);
        double y = gamma.data[c] * (src.data[k] - mean[c]) * inv_std + beta.data[c];
        if (fuse_relu && !(y > 0.0)) y = 0.0;
        dst.data[k] = static_cast<float>(y);
      }
  }
  return dst;
}

}  // namespace

BatchNormForward batch_norm_forward_training(const Tensor& src, const Tensor& gamma, const Tensor& beta,
                                             double eps, bool fuse_relu) {
  check_channels("batch_norm_forward_training", src, {&gamma, &beta});
  const int64_t N = src.dims[0], C = src.dims[1], HW = src.dims[2] * src.dims[3];
  const double M = static_cast<double>(N * HW);
  std::vector<double> mean(C, 0.0), var(C, 0.0);
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < HW; ++s) mean[c] += src.data[(n * C + c) * HW + s];
    mean[c] /= M;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < HW; ++s) {
        const double d = src.data[(n * C + c) * HW + s] - mean[c];
        var[c] += d * d;
      }
    var[c] /= M;
  }
  BatchNormForward out{normalise(src, gamma, beta, mean, var, eps, fuse_relu), make_tensor({C}),
                       make_tensor({C})};
  for (int64_t c = 0; c < C; ++c) {
    out.mean.data[c] = static_cast<float>(mean[c]);
    out.var.data[c] = static_cast<float>(var[c]);
  }
  return out;
}

Tensor batch_norm_forward_inference(const Tensor& src, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& running_mean, const Tensor& running_var, double eps,
                                    bool fuse_relu) {
  check_channels("batch_norm_forward_inference", src, {&gamma, &beta, &running_mean, &running_var});
  const std::vector<double> mean(running_mean.data.begin(), running_mean.data.end());
  const std::vector<double> var(running_var.data.begin(), running_var.data.end());
  return normalise(src, gamma, beta, mean, var, eps, fuse_relu);
}

void batch_norm_update_running_stats(Tensor& running_mean, Tensor& running_var, const Tensor& mean,
                                     const Tensor& var, int64_t elements_per_channel, double momentum) {
  if (elements_per_channel < 2 || running_mean.dims != mean.dims || running_var.dims != var.dims ||
      mean.dims != var.dims) {
    throw std::invalid_argument(
        fmt::format("reference batch_norm_update_running_stats: M = {} (needs > 1) or mismatched dims {} {}",
                    elements_per_channel, format_dims(mean.dims), format_dims(running_mean.dims)));
  }
  const double M = static_cast<double>(elements_per_channel);
  for (size_t c = 0; c < mean.data.size(); ++c) {
    const double unbiased = var.data[c] * M / (M - 1.0);
    running_mean.data[c] =
        static_cast<float>((1.0 - momentum) * running_mean.data[c] + momentum * mean.data[c]);
    running_var.data[c] = static_cast<float>((1.0 - momentum) * running_var.data[c] + momentum * unbiased);
  }
}

BatchNormBackward batch_norm_backward(const Tensor& diff_dst, const Tensor& src, const Tensor& gamma,
                                      const Tensor& mean, const Tensor& var, double eps,
                                      const Tensor* relu_dst) {
  check_channels("batch_norm_backward", src, {&gamma, &mean, &var});
  if (diff_dst.dims != src.dims || (relu_dst && relu_dst->dims != src.dims)) {
    throw std::invalid_argument("reference batch_norm_backward: diff_dst or relu_dst dims differ from src " +
                                format_dims(src.dims));
  }
  require_storage("batch_norm_backward", {&diff_dst});
  if (relu_dst) require_storage("batch_norm_backward", {relu_dst});
  const int64_t N = src.dims[0], C = src.dims[1], HW = src.dims[2] * src.dims[3];
  const double M = static_cast<double>(N * HW);
  auto dy = [&](size_t k) -> double {
    if (relu_dst && !(relu_dst->data[k] > 0.0f)) return 0.0;
    return diff_dst.data[k];
  };
  BatchNormBackward g{make_tensor(src.dims), make_tensor({C}), make_tensor({C})};
  for (int64_t c = 0; c < C; ++c) {
    const double inv_std = 1.0 / std::sqrt(static_cast<double>(var.data[c]) + eps);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < HW; ++s) {
        const size_t k = static_cast<size_t>((n * C + c) * HW + s);
        sum_dy += dy(k);
        sum_dy_xhat += dy(k) * (src.data[k] - static_cast<double>(mean.data[c])) * inv_std;
      }
    g.diff_beta.data[c] = static_cast<float>(sum_dy);
    g.diff_gamma.data[c] = static_cast<float>(sum_dy_xhat);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < HW; ++s) {
        const size_t k = static_cast<size_t>((n * C + c) * HW + s);
        const double xhat = (src.data[k] - static_cast<double>(mean.data[c])) * inv_std;
        g.diff_src.data[k] =
            static_cast<float>(gamma.data[c] * inv_std * (dy(k) - sum_dy / M - xhat * sum_dy_xhat / M));
      }
  }
  return g;
}

}  // namespace dnntrain::reference
