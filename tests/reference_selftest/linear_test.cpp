// Self-tests of the reference linear layer: the [out, in] weight convention by hand, and the
// three gradients against finite differences.
#include <doctest/doctest.h>

#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/reference/linear.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference linear: hand-computed forward and backward with [out, in] weights") {
  const Tensor x = make_tensor({2, 2}, std::vector<float>{1, 1, 2, -1});
  const Tensor w = make_tensor({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6});
  const Tensor b = make_tensor({3}, std::vector<float>{0.5f, 0.0f, -1.0f});
  CHECK(linear_forward(x, w, &b).data == std::vector<float>{3.5f, 7, 10, 0.5f, 2, 3});
  CHECK(linear_forward(x, w, nullptr).data == std::vector<float>{3, 7, 11, 0, 2, 4});
  const Tensor dy = make_tensor({2, 3}, std::vector<float>{1, 0, 0, 0, 1, 1});
  const LinearBackward g = linear_backward(dy, x, w);
  CHECK(g.diff_src.data == std::vector<float>{1, 2, 8, 10});
  CHECK(g.diff_weights.data == std::vector<float>{1, 1, 2, -1, 2, -1});
  CHECK(g.diff_bias.data == std::vector<float>{1, 1, 1});
  CHECK_THROWS(linear_forward(x, make_tensor({2, 3}), nullptr));  // [in, out] is rejected
}

TEST_CASE("reference linear: analytic gradients match central differences") {
  Tensor x = make_tensor({4, 6}), w = make_tensor({5, 6}), b = make_tensor({5}), dy = make_tensor({4, 5});
  fill_random(x, 51);
  fill_random(w, 52);
  fill_random(b, 53);
  fill_random(dy, 54);
  const auto loss = [&] { return dot(linear_forward(x, w, &b), dy); };
  const LinearBackward g = linear_backward(dy, x, w);
  for (auto [input, grad] : {std::pair{&x, &g.diff_src}, {&w, &g.diff_weights}, {&b, &g.diff_bias}}) {
    const GradCheckResult r = check_gradient(loss, *input, *grad);
    CHECK_MESSAGE(r.ok, r.message);
  }
}
