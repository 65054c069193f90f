// Evaluation of a planned graph over a batch source: mean loss, top-1, top-5 and a confusion
// matrix. A function of the graph and the data alone: no optimizer, schedule or training state.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/batch_source.hpp"
#include "engine/graph.hpp"

namespace dnntrain::engine {

struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;  // loss: mean cross-entropy; top-k: fractions in [0, 1]
  int64_t samples = 0;
  int classes = 0;
  std::vector<int64_t> confusion;  // [true class][predicted class], classes × classes
};

// An eval-mode forward of a planned batch and its log-probabilities, for evaluate(): the training
// graph's (below) or an inference plan's (api/).
struct EvalForward {
  int batch = 0;              // the planned batch; a smaller one is padded
  size_t image_elements = 0;  // C·H·W
  int classes = 0;
  // images [batch, C, H, W], labels [batch]; returns [batch, classes] log-probabilities, valid until
  // the next call.
  std::function<const float*(const float* images, const int32_t* labels)> run;
};
EvalResult evaluate(const EvalForward& forward, BatchSource& source);

// One whole epoch of `source` in eval mode (BN normalises with its running statistics and leaves
// them unchanged). A last partial batch is padded to the planned size and only its valid rows
// counted. The prediction is the first maximum of a row, for top-k and the confusion matrix alike.
// throws: dnntrain::Error when the source gives no sample.
EvalResult evaluate(Graph& graph, const LossReadout& loss, BatchSource& source);

// Top-1 and top-k hits of rows [0, n) of log_probs against labels. The label's rank is its place
// in the row sorted by decreasing value, ties in class order (the first maximum is the top-1
// prediction, as torch.argmax picks): a label tied with a lower class ranks below it.
struct TopK {
  int64_t top1 = 0, topk = 0;
};
TopK count_topk(const float* log_probs, const int32_t* labels, int n, int classes, int k);

}  // namespace dnntrain::engine
