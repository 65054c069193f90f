// Self-tests of the reference softmax cross-entropy: closed-form losses with and without label
// smoothing, shift invariance and stability on large logits, and the gradient by finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/reference/finite_difference.hpp"
#include "tests/reference/softmax_cross_entropy.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference softmax_cross_entropy: closed-form losses and gradients") {
  // Uniform logits: every -logp is log K, whatever the smoothing.
  const Tensor zeros = make_tensor({2, 4}, 0.0f);
  const std::vector<int64_t> labels{1, 3};
  for (double eps : {0.0, 0.1}) {
    const SoftmaxCrossEntropy r = softmax_cross_entropy(zeros, labels, eps);
    CHECK(r.loss == doctest::Approx(std::log(4.0)));
    // (p - target) / N with p = 1/4, target = (1 - eps) onehot + eps / 4.
    CHECK(r.diff_logits.at({0, 1}) == doctest::Approx((0.25 - (1 - eps) - eps / 4) / 2));
    CHECK(r.diff_logits.at({1, 0}) == doctest::Approx((0.25 - eps / 4) / 2));
  }
  // p = [1/4, 3/4] from logits [0, ln 3]; label 1.
  const Tensor two = make_tensor({1, 2}, std::vector<float>{0.0f, static_cast<float>(std::log(3.0))});
  const std::vector<int64_t> one{1};
  CHECK(softmax_cross_entropy(two, one).loss == doctest::Approx(-std::log(0.75)));
  const double eps = 0.2;
  const double smoothed = (1 - eps) * -std::log(0.75) + eps * 0.5 * (-std::log(0.25) - std::log(0.75));
  const SoftmaxCrossEntropy s = softmax_cross_entropy(two, one, eps);
  CHECK(s.loss == doctest::Approx(smoothed));
  CHECK(s.diff_logits.data[0] == doctest::Approx(0.25 - 0.1));
  CHECK(s.diff_logits.data[1] == doctest::Approx(0.75 - 0.9));
  CHECK_THROWS(softmax_cross_entropy(two, std::vector<int64_t>{2}));
  CHECK_THROWS(softmax_cross_entropy(two, std::vector<int64_t>{0, 1}));
}

TEST_CASE("reference softmax_cross_entropy: shift invariant and finite on large logits") {
  Tensor logits = make_tensor({3, 5});
  fill_random(logits, 61, -2.0f, 2.0f);
  const std::vector<int64_t> labels{4, 0, 2};
  const double base = softmax_cross_entropy(logits, labels, 0.1).loss;
  for (float& v : logits.data) v += 1000.0f;
  const SoftmaxCrossEntropy shifted = softmax_cross_entropy(logits, labels, 0.1);
  CHECK(std::isfinite(shifted.loss));
  CHECK(shifted.loss == doctest::Approx(base).epsilon(1e-4));  // the shift rounds the logits
  double row_sum = 0.0;
  for (int64_t k = 0; k < 5; ++k) row_sum += shifted.diff_logits.at({1, k});
  CHECK(std::fabs(row_sum) < 1e-7);  // softmax and the smoothed target both sum to 1
}

TEST_CASE("reference softmax_cross_entropy: gradient matches central differences") {
  Tensor logits = make_tensor({4, 7});
  fill_random(logits, 71, -3.0f, 3.0f);
  const std::vector<int64_t> labels{0, 6, 3, 3};
  for (double eps : {0.0, 0.1}) {
    CAPTURE(eps);
    const SoftmaxCrossEntropy r = softmax_cross_entropy(logits, labels, eps);
    GradCheckOptions o;
    o.samples = 0;
    o.step = 1e-3;
    o.atol = 1e-5;
    const GradCheckResult g = check_gradient([&] { return softmax_cross_entropy(logits, labels, eps).loss; },
                                             logits, r.diff_logits, o);
    CHECK_MESSAGE(g.ok, g.message);
  }
}
