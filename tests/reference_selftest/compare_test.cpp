// Self-tests of compare/describe/expect_close: the figures and messages failing checks rely on.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "tests/reference/compare.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference compare: max abs, where, max rel and count") {
  const float want[] = {1.0f, 2.0f, 0.0f, -4.0f};
  const float got[] = {1.0f, 2.5f, 0.0f, -4.25f};
  const Diff d = compare(got, want, 4);
  CHECK(d.max_abs == 0.5);
  CHECK(d.where == 1);
  CHECK(d.max_rel == doctest::Approx(0.2));  // 0.5 / 2.5
  CHECK(d.count == 4);
  CHECK(describe(d) == "max abs 0.5 at [1], max rel 0.2 over 4 elements");
  const Diff same = compare(want, want, 4);
  CHECK(same.max_abs == 0.0);
  CHECK(same.max_rel == 0.0);
}

TEST_CASE("reference compare: NaN against a number is an infinite error, NaN against NaN is equal") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float want[] = {1.0f, nan};
  const float got[] = {nan, nan};
  const Diff d = compare(got, want, 2);
  CHECK(std::isinf(d.max_abs));
  CHECK(d.where == 0);
  CHECK_FALSE(expect_close(got, want, 2, 1.0, 1.0).ok);
  CHECK(expect_close(got + 1, want + 1, 1, 0.0, 0.0).ok);
}

TEST_CASE("reference expect_close: mixed tolerance, failure count, first failure and multi-index") {
  const float want[] = {100.0f, 0.0f, 1.0f};
  const float got[] = {100.5f, 1e-6f, 1.0f};
  CHECK(expect_close(got, want, 3, 1e-5, 1e-2).ok);  // 0.5 <= 1e-5 + 1e-2 * 100.5
  const Closeness r = expect_close(got, want, 3, 1e-7, 1e-3);
  CHECK_FALSE(r.ok);
  CHECK_MESSAGE(r.message.find("2 of 3 outside") != std::string::npos, r.message);
  CHECK_MESSAGE(r.message.find("first at [0]") != std::string::npos, r.message);

  Tensor a = make_tensor({1, 2, 2, 2}, 1.0f);
  Tensor b = a;
  b.at({0, 1, 0, 1}) = 2.0f;
  const Closeness t = expect_close(a, b, 0.0, 0.0);
  CHECK_FALSE(t.ok);
  CHECK_MESSAGE(t.message.find("[0, 1, 0, 1]") != std::string::npos, t.message);
  CHECK_FALSE(expect_close(make_tensor({2, 2}), make_tensor({4}), 1.0, 1.0).ok);
  CHECK(expect_close(a, a, 0.0, 0.0).ok);
}
