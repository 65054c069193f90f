// Metric reductions: one small allreduce per figure set.
#include "distributed/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace dnntrain::distributed {

namespace {

// Sums (loss, correct, samples) over the ranks; the loss comes back as the mean over ranks.
template <class Count>
void reduce_counts(World& world, double& loss, Count& correct, Count& samples) {
  double v[] = {loss, static_cast<double>(correct), static_cast<double>(samples)};
  world.sum(v, 3);
  loss = v[0] / world.size();
  correct = static_cast<Count>(v[1]);
  samples = static_cast<Count>(v[2]);
}

}  // namespace

void reduce(World& world, engine::StepStats& s) { reduce_counts(world, s.loss, s.correct, s.n); }

void reduce(World& world, engine::EpochResult& r) {
  reduce_counts(world, r.loss_sum, r.correct, r.samples);
  double t[] = {r.seconds, r.wait_seconds};
  world.sum(t, 2);
  r.seconds = t[0] / world.size();
  r.wait_seconds = t[1] / world.size();
}

void reduce(World& world, engine::EvalResult& r) {
  const double n = static_cast<double>(r.samples);
  int64_t counts[] = {r.samples, std::llround(r.top1 * n), std::llround(r.top5 * n)};
  double loss_sum = r.loss * n;
  world.sum(counts, 3);
  world.sum(&loss_sum, 1);
  world.sum(r.confusion.data(), r.confusion.size());
  r.samples = counts[0];
  const double total = static_cast<double>(std::max<int64_t>(1, r.samples));
  r.loss = loss_sum / total;
  r.top1 = static_cast<double>(counts[1]) / total;
  r.top5 = static_cast<double>(counts[2]) / total;
}

bool any(World& world, bool flag) {
  int64_t v = flag ? 1 : 0;
  world.sum(&v, 1);
  return v > 0;
}

}  // namespace dnntrain::distributed
