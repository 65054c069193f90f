// Reference softmax cross-entropy: log-softmax in double with the row maximum subtracted, the loss
// and its closed-form gradient (p - target) / N in one pass over each row.
#include "tests/reference/softmax_cross_entropy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace dnntrain::reference {

SoftmaxCrossEntropy softmax_cross_entropy(const Tensor& logits, std::span<const int64_t> labels,
                                          double label_smoothing) {
  require_storage("softmax_cross_entropy", {&logits});
  if (logits.dims.size() != 2 || logits.dims[0] < 1 || logits.dims[1] < 1 ||
      labels.size() != static_cast<size_t>(logits.dims[0])) {
    throw std::invalid_argument(fmt::format("reference softmax_cross_entropy: logits {} with {} labels",
                                            format_dims(logits.dims), labels.size()));
  }
  const int64_t N = logits.dims[0], K = logits.dims[1];
  const double eps = label_smoothing;
  SoftmaxCrossEntropy out{0.0, make_tensor(logits.dims)};
  std::vector<double> logp(K);
  for (int64_t n = 0; n < N; ++n) {
    const int64_t y = labels[n];
    if (y < 0 || y >= K) {
      throw std::invalid_argument(
          fmt::format("reference softmax_cross_entropy: label {} of sample {} outside [0, {})", y, n, K));
    }
    const float* row = &logits.data[n * K];
    double max = row[0];
    for (int64_t k = 1; k < K; ++k) max = std::max(max, static_cast<double>(row[k]));
    double sum_exp = 0.0;
    for (int64_t k = 0; k < K; ++k) sum_exp += std::exp(row[k] - max);
    const double log_sum_exp = max + std::log(sum_exp);
    double mean_neg_logp = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      logp[k] = row[k] - log_sum_exp;
      mean_neg_logp -= logp[k];
    }
    mean_neg_logp /= static_cast<double>(K);
    out.loss += (1.0 - eps) * (-logp[y]) + eps * mean_neg_logp;
    for (int64_t k = 0; k < K; ++k) {
      const double target = (k == y ? 1.0 - eps : 0.0) + eps / static_cast<double>(K);
      out.diff_logits.data[n * K + k] =
          static_cast<float>((std::exp(logp[k]) - target) / static_cast<double>(N));
    }
  }
  out.loss /= static_cast<double>(N);
  return out;
}

}  // namespace dnntrain::reference
