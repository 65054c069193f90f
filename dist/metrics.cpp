// Metric reductions: one small allreduce per figure set.
#include "dist/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace dnntrain::dist {

void reduce(World& world, engine::StepStats& s) {
  double v[] = {s.loss, static_cast<double>(s.correct), static_cast<double>(s.n)};
  world.sum(v, 3);
  s.loss = v[0] / world.size();
  s.correct = static_cast<int>(v[1]);
  s.n = static_cast<int>(v[2]);
}

void reduce(World& world, engine::EpochResult& r) {
  double v[] = {r.loss_sum, static_cast<double>(r.correct), static_cast<double>(r.samples)};
  world.sum(v, 3);
  r.loss_sum = v[0] / world.size();
  r.correct = static_cast<int64_t>(v[1]);
  r.samples = static_cast<int64_t>(v[2]);
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

}  // namespace dnntrain::dist
