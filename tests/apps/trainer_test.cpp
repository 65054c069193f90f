// engine::count_topk, the metric behind every reported top-1/top-5, on hand-made log-probabilities:
// ranks, ties (which favour the label) and k larger than the class count.
#include <doctest/doctest.h>

#include <vector>

#include "engine/trainer.hpp"

using dnntrain::engine::count_topk;

TEST_CASE("count_topk ranks the label among the classes") {
  // 3 rows, 6 classes. Row 0: label 2 is the most probable. Row 1: label 0 is 5th of 6.
  // Row 2: label 5 is last.
  const std::vector<float> lp = {-3, -2, -0.1f, -4, -5, -6,   //
                                 -4, -1, -2, -3, -0.5f, -9,   //
                                 -1, -2, -3, -4, -5, -6};
  const std::vector<int32_t> labels = {2, 0, 5};
  const auto k5 = count_topk(lp.data(), labels.data(), 3, 6, 5);
  CHECK(k5.top1 == 1);
  CHECK(k5.topk == 2);
  const auto k1 = count_topk(lp.data(), labels.data(), 3, 6, 1);
  CHECK(k1.topk == k1.top1);
  // Only the first n rows count.
  CHECK(count_topk(lp.data(), labels.data(), 1, 6, 5).topk == 1);
}

TEST_CASE("count_topk counts a tie with the label as a hit") {
  const std::vector<float> lp = {-0.69f, -0.69f, -5};
  const int32_t label = 1;
  CHECK(count_topk(lp.data(), &label, 1, 3, 1).top1 == 1);
}

TEST_CASE("count_topk with k at least the class count counts every row") {
  const std::vector<float> lp = {-1, -2, -3, -0.5f};
  const std::vector<int32_t> labels = {1, 0};
  const auto r = count_topk(lp.data(), labels.data(), 2, 2, 5);
  CHECK(r.top1 == 0);
  CHECK(r.topk == 2);
}
