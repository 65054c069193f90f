// Evaluation: eval-mode forwards over an epoch, the last partial batch padded, top-k counts and a
// confusion matrix under one tie rule (the first maximum).
#include "engine/evaluate.hpp"

#include <algorithm>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::engine {

TopK count_topk(const float* log_probs, const int32_t* labels, int n, int classes, int k) {
  TopK hits;
  for (int i = 0; i < n; ++i) {
    const float* row = log_probs + static_cast<size_t>(i) * classes;
    const int label = labels[i];
    const float mine = row[label];
    int rank = 0;  // classes ahead of the label: more probable, or as probable and lower
    for (int c = 0; c < classes; ++c) rank += row[c] > mine || (row[c] == mine && c < label);
    hits.top1 += rank == 0;
    hits.topk += rank < k;
  }
  return hits;
}

EvalResult evaluate(Graph& graph, const LossReadout& loss, BatchSource& source) {
  DNNTRAIN_CHECK(loss.log_probs && loss.classes > 0, "evaluate: incomplete loss readout");
  size_t elements = 1;
  for (auto d : graph.input_dims()) elements *= static_cast<size_t>(d);
  return evaluate(EvalForward{graph.batch(), elements / static_cast<size_t>(graph.batch()), loss.classes,
                              [&](const float* images, const int32_t* labels) {
                                graph.forward(Mode::eval, images, labels);
                                return loss.log_probs();
                              }},
                  source);
}

EvalResult evaluate(const EvalForward& forward, BatchSource& source) {
  EvalResult r;
  const int classes = forward.classes, planned = forward.batch;
  const int k = std::min(5, classes);
  r.classes = classes;
  r.confusion.assign(static_cast<size_t>(classes) * classes, 0);
  std::vector<float> padded_images;  // [planned batch, C, H, W], made for a partial batch
  std::vector<int32_t> padded_labels;
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  source.start_epoch(0, 0);
  BatchRef batch;
  while (source.next(batch)) {
    const float* images = batch.images;
    const int32_t* labels = batch.labels;
    if (batch.n < planned) {
      const size_t per = forward.image_elements;
      padded_images.assign(per * static_cast<size_t>(planned), 0.f);
      padded_labels.assign(static_cast<size_t>(planned), 0);
      std::memcpy(padded_images.data(), batch.images, sizeof(float) * per * batch.n);
      std::copy(batch.labels, batch.labels + batch.n, padded_labels.begin());
      images = padded_images.data();
      labels = padded_labels.data();
    }
    const float* lp = forward.run(images, labels);
    const TopK hits = count_topk(lp, labels, batch.n, classes, k);
    top1 += hits.top1;
    top5 += hits.topk;
    for (int i = 0; i < batch.n; ++i) {
      const float* row = lp + static_cast<size_t>(i) * classes;
      loss_sum -= row[labels[i]];
      const int predicted = static_cast<int>(std::max_element(row, row + classes) - row);  // the first
      ++r.confusion[static_cast<size_t>(labels[i]) * classes + predicted];
    }
    r.samples += batch.n;
  }
  DNNTRAIN_CHECK(r.samples > 0, "evaluation: the test set is empty");
  r.loss = loss_sum / static_cast<double>(r.samples);
  r.top1 = static_cast<double>(top1) / static_cast<double>(r.samples);
  r.top5 = static_cast<double>(top5) / static_cast<double>(r.samples);
  return r;
}

}  // namespace dnntrain::engine
