// Self-tests of the reference tensor: indexing, shape checks and deterministic fills.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "tests/reference/tensor.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference tensor: row-major offsets and checked indexing") {
  Tensor t = make_tensor({2, 3, 4, 5});
  CHECK(t.size() == 120);
  CHECK(t.offset({0, 0, 0, 0}) == 0);
  CHECK(t.offset({1, 2, 3, 4}) == 119);
  CHECK(t.offset({1, 0, 2, 1}) == 60 + 10 + 1);
  t.at({1, 0, 2, 1}) = 3.5f;
  CHECK(t.data[71] == 3.5f);
  CHECK_THROWS_AS(t.offset({0, 3, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(t.offset({0, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(make_tensor({2, 2}, std::vector<float>{1, 2, 3}), std::invalid_argument);
  const Tensor short_storage{{2, 2}, {1.0f}};
  CHECK_THROWS_AS(require_storage("test", {&t, &short_storage}), std::invalid_argument);
  CHECK_NOTHROW(require_storage("test", {&t}));
  CHECK(element_count({}) == 1);
  CHECK(format_dims({2, 3}) == "[2, 3]");
  CHECK(format_index({2, 3, 4, 5}, 71) == "[1, 0, 2, 1]");
}

TEST_CASE("reference tensor: small-integer fill is exact multiples of the scale, within range, seeded") {
  Tensor a = make_tensor({1000});
  Tensor b = make_tensor({1000});
  fill_small_integers(a, 42);
  fill_small_integers(b, 42);
  CHECK(a.data == b.data);
  bool saw_lo = false, saw_hi = false;
  for (float v : a.data) {
    const float k = v * 8.0f;
    CHECK(k == std::round(k));
    CHECK(k >= -4.0f);
    CHECK(k <= 4.0f);
    saw_lo |= k == -4.0f;
    saw_hi |= k == 4.0f;
  }
  CHECK(saw_lo);
  CHECK(saw_hi);
  fill_small_integers(b, 43);
  CHECK(a.data != b.data);
}

TEST_CASE("reference tensor: random fill is in range and repeatable") {
  Tensor a = make_tensor({500});
  Tensor b = make_tensor({500});
  fill_random(a, 1, -0.5f, 2.0f);
  fill_random(b, 1, -0.5f, 2.0f);
  CHECK(a.data == b.data);
  for (float v : a.data) {
    CHECK(v >= -0.5f);
    CHECK(v <= 2.0f);
  }
  Tensor c = make_tensor({3});
  fill_iota(c, 0.5f, 1.0f);
  CHECK(c.data == std::vector<float>{1.0f, 1.5f, 2.0f});
  CHECK(dot(c, c) == 1.0 + 2.25 + 4.0);
}
