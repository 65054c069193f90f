// Self-tests of the finite-difference checker: it must measure known derivatives, catch a wrong
// gradient, and skip (without passing vacuously) samples that sit on a kink.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>

#include "tests/reference/finite_difference.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference finite_difference: central difference of x^3 and restoring the input") {
  float x = 2.0f;
  const auto cube = [&] { return static_cast<double>(x) * x * x; };
  // Central difference of x^3 is 3x^2 + h^2 exactly (h = 1/64 is exact in float).
  CHECK(central_difference(cube, &x, 1.0 / 64) == doctest::Approx(12.0 + 1.0 / 4096).epsilon(1e-12));
  CHECK(x == 2.0f);
  CHECK_THROWS(central_difference(cube, &x, 1e-12));
}

TEST_CASE("reference finite_difference: sampled indices are distinct, sorted and seeded") {
  const auto a = sample_indices(100, 10, 3);
  CHECK(a == sample_indices(100, 10, 3));
  CHECK(a != sample_indices(100, 10, 4));
  CHECK(a.size() == 10);
  CHECK(std::set<size_t>(a.begin(), a.end()).size() == 10);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(a.back() < 100);
  CHECK(sample_indices(5, 0, 1).size() == 5);
  CHECK(sample_indices(5, 9, 1).size() == 5);
}

TEST_CASE("reference finite_difference: passes a right gradient, fails a wrong one") {
  Tensor x = make_tensor({4, 5});
  fill_random(x, 11);
  const auto loss = [&] {
    double s = 0.0;
    for (float v : x.data) s += std::sin(static_cast<double>(v)) * v;
    return s;
  };
  Tensor grad = make_tensor(x.dims);
  for (size_t i = 0; i < x.size(); ++i)
    grad.data[i] = static_cast<float>(std::cos(x.data[i]) * x.data[i] + std::sin(x.data[i]));
  const Tensor before = x;
  GradCheckOptions o;
  o.samples = 0;
  const GradCheckResult good = check_gradient(loss, x, grad, o);
  CHECK_MESSAGE(good.ok, good.message);
  CHECK(good.checked == 20);
  CHECK(x.data == before.data);

  grad.data[7] += 0.1f;
  const GradCheckResult bad = check_gradient(loss, x, grad, o);
  CHECK_FALSE(bad.ok);
  CHECK(bad.failed == 1);
  CHECK(bad.worst_index == 7);
  CHECK_MESSAGE(bad.message.find("first failure at [1, 2]") != std::string::npos, bad.message);
}

TEST_CASE("reference finite_difference: kink guards skip non-smooth samples and cap the skips") {
  // loss = sum relu(x); elements 0 and 1 sit within one step of the kink at 0.
  Tensor x = make_tensor({6}, std::vector<float>{0.004f, -0.003f, 0.5f, -0.7f, 1.2f, -0.2f});
  const auto loss = [&] {
    double s = 0.0;
    for (float v : x.data) s += v > 0.0f ? v : 0.0f;
    return s;
  };
  Tensor grad = make_tensor({6}, std::vector<float>{1, 0, 1, 0, 1, 0});
  GradCheckOptions o;
  o.samples = 0;
  o.atol = 1e-4;
  CHECK_FALSE(check_gradient(loss, x, grad, o).ok);  // unguarded: the numeric slope at 0.004 is ~0.7

  GradCheckOptions by_predicate = o;
  by_predicate.skip_if = [&](size_t i) { return std::fabs(x.data[i]) < o.step; };
  const GradCheckResult p = check_gradient(loss, x, grad, by_predicate);
  CHECK_MESSAGE(p.ok, p.message);
  CHECK(p.skipped == 2);

  GradCheckOptions by_shape = o;
  by_shape.kink_factor = 0.1;
  const GradCheckResult s = check_gradient(loss, x, grad, by_shape);
  CHECK_MESSAGE(s.ok, s.message);
  CHECK(s.skipped == 2);
  CHECK(s.checked == 4);

  GradCheckOptions skip_all = o;
  skip_all.skip_if = [](size_t) { return true; };
  const GradCheckResult v = check_gradient(loss, x, grad, skip_all);
  CHECK_FALSE(v.ok);
  CHECK_MESSAGE(v.message.find("too many") != std::string::npos, v.message);
}
