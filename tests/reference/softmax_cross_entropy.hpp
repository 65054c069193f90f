// Reference softmax cross-entropy loss on logits [N, K] with integer class labels, averaged over
// the batch, with label smoothing exactly as torch.nn.functional.cross_entropy(label_smoothing=eps).
#pragma once

#include <cstdint>
#include <span>

#include "tests/reference/tensor.hpp"

namespace dnntrain::reference {

struct SoftmaxCrossEntropy {
  double loss = 0.0;   // mean over n of (1 - eps) * (-logp[n][y_n]) + eps * mean_k(-logp[n][k])
  Tensor diff_logits;  // [N, K]: (softmax(logits)[n][k] - target[n][k]) / N,
                       // target = (1 - eps) * onehot(y_n) + eps / K
};

// logp is computed in double with the max subtracted. Throws std::invalid_argument when labels has
// not N entries or a label is outside [0, K).
SoftmaxCrossEntropy softmax_cross_entropy(const Tensor& logits, std::span<const int64_t> labels,
                                          double label_smoothing = 0.0);

}  // namespace dnntrain::reference
