// Self-tests of the reference ReLU and residual add: hand cases, the dst > 0 mask (relu(0) passes
// nothing), and finite differences away from the kink.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/reference/relu.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference relu: hand-computed forward and backward from the output") {
  const Tensor src = make_tensor({5}, std::vector<float>{-1.0f, 0.0f, 2.0f, -0.0f, 0.125f});
  const Tensor dst = relu_forward(src);
  CHECK(dst.data == std::vector<float>{0.0f, 0.0f, 2.0f, 0.0f, 0.125f});
  const Tensor dy = make_tensor({5}, std::vector<float>{1, 2, 3, 4, 5});
  CHECK(relu_backward(dy, dst).data == std::vector<float>{0, 0, 3, 0, 5});
}

TEST_CASE("reference add: hand-computed, with and without fused ReLU, both inputs get the same gradient") {
  const Tensor a = make_tensor({1, 1, 1, 4}, std::vector<float>{1.0f, -2.0f, 0.5f, -0.5f});
  const Tensor b = make_tensor({1, 1, 1, 4}, std::vector<float>{0.25f, 1.0f, -0.5f, 1.0f});
  CHECK(add_forward(a, b).data == std::vector<float>{1.25f, -1.0f, 0.0f, 0.5f});
  const Tensor dst = add_forward(a, b, true);
  CHECK(dst.data == std::vector<float>{1.25f, 0.0f, 0.0f, 0.5f});
  const Tensor dy = make_tensor(a.dims, std::vector<float>{1, 2, 3, 4});
  const AddBackward plain = add_backward(dy);
  CHECK(plain.diff_a.data == dy.data);
  CHECK(plain.diff_b.data == dy.data);
  const AddBackward fused = add_backward(dy, &dst);
  CHECK(fused.diff_a.data == std::vector<float>{1, 0, 0, 4});
  CHECK(fused.diff_b.data == fused.diff_a.data);
  CHECK_THROWS(add_forward(a, make_tensor({4})));
}

TEST_CASE("reference relu and add: analytic gradients match central differences") {
  Tensor a = make_tensor({2, 3, 4, 4}), b = make_tensor({2, 3, 4, 4}), dy = make_tensor({2, 3, 4, 4});
  fill_random(a, 31);
  fill_random(b, 32);
  fill_random(dy, 33);
  GradCheckOptions o;
  o.samples = 48;

  const Tensor relu_dst = relu_forward(a);
  const Tensor da = relu_backward(dy, relu_dst);
  GradCheckOptions near_zero = o;
  near_zero.skip_if = [&](size_t i) { return std::fabs(a.data[i]) <= o.step; };
  GradCheckResult r = check_gradient([&] { return dot(relu_forward(a), dy); }, a, da, near_zero);
  CHECK_MESSAGE(r.ok, r.message);

  const Tensor sum_dst = add_forward(a, b, true);
  const AddBackward g = add_backward(dy, &sum_dst);
  GradCheckOptions sum_near_zero = o;
  sum_near_zero.skip_if = [&](size_t i) { return std::fabs(a.data[i] + b.data[i]) <= o.step; };
  const auto loss = [&] { return dot(add_forward(a, b, true), dy); };
  r = check_gradient(loss, a, g.diff_a, sum_near_zero);
  CHECK_MESSAGE(r.ok, r.message);
  r = check_gradient(loss, b, g.diff_b, sum_near_zero);
  CHECK_MESSAGE(r.ok, r.message);
}
