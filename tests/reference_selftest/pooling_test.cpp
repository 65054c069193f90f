// Self-tests of the reference pooling: hand cases for max pooling (ties go to the first maximum,
// padding never wins, overlapping windows add up), global average pooling, and finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/reference/pooling.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference max_pool2d: hand-computed 2x2 stride 2") {
  Tensor src = make_tensor({1, 1, 4, 4});
  fill_iota(src);
  const Pool2dParams p{.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  CHECK(max_pool2d_forward(src, p).data == std::vector<float>{5, 7, 13, 15});
  const Tensor dy = make_tensor({1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4});
  const Tensor dx = max_pool2d_backward(dy, src, p);
  CHECK(dx.data == std::vector<float>{0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4});
}

TEST_CASE("reference max_pool2d: ties send the gradient to the first maximum in row-major order") {
  const Tensor src = make_tensor({1, 1, 2, 2}, std::vector<float>{1, 3, 3, 1});
  const Pool2dParams p{.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  const Tensor dx = max_pool2d_backward(make_tensor({1, 1, 1, 1}, 1.0f), src, p);
  CHECK(dx.data == std::vector<float>{0, 1, 0, 0});
  const Tensor flat = make_tensor({1, 1, 2, 2}, 0.5f);
  CHECK(max_pool2d_backward(make_tensor({1, 1, 1, 1}, 1.0f), flat, p).data == std::vector<float>{1, 0, 0, 0});
}

TEST_CASE("reference max_pool2d: a NaN wins its window, as in PyTorch") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor src = make_tensor({1, 1, 2, 2}, std::vector<float>{1, nan, 5, 2});
  const Pool2dParams p{.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  CHECK(std::isnan(max_pool2d_forward(src, p).data[0]));
  CHECK(max_pool2d_backward(make_tensor({1, 1, 1, 1}, 1.0f), src, p).data == std::vector<float>{0, 1, 0, 0});
}

TEST_CASE("reference max_pool2d: padding is -inf and overlapping windows accumulate") {
  // ResNet's stem pool (3x3, stride 2, pad 1) on all-negative values: padding must never win.
  Tensor src = make_tensor({1, 1, 3, 3});
  fill_iota(src, -1.0f, -1.0f);  // -1 .. -9
  const Pool2dParams stem{.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1};
  CHECK(max_pool2d_dst_dims(src.dims, stem) == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(max_pool2d_forward(src, stem).data == std::vector<float>{-1, -2, -4, -5});
  // 2x2 stride 1 on a 3x3 with the maximum in the centre: all four windows pick it.
  Tensor peak = make_tensor({1, 1, 3, 3}, 0.0f);
  peak.at({0, 0, 1, 1}) = 9.0f;
  const Pool2dParams overlap{.kernel_h = 2, .kernel_w = 2, .stride_h = 1, .stride_w = 1};
  const Tensor dx = max_pool2d_backward(make_tensor({1, 1, 2, 2}, 1.0f), peak, overlap);
  CHECK(dx.at({0, 0, 1, 1}) == 4.0f);
  CHECK(dot(dx, dx) == 16.0);
  CHECK_THROWS(max_pool2d_dst_dims(src.dims, {.kernel_h = 3, .kernel_w = 3, .pad_h = 2, .pad_w = 2}));
}

TEST_CASE("reference global_avg_pool: hand-computed forward and backward") {
  Tensor src = make_tensor({2, 2, 2, 2});
  fill_iota(src);
  const Tensor dst = global_avg_pool_forward(src);
  CHECK(dst.dims == std::vector<int64_t>{2, 2, 1, 1});
  CHECK(dst.data == std::vector<float>{1.5f, 5.5f, 9.5f, 13.5f});
  const Tensor dx =
      global_avg_pool_backward(make_tensor({2, 2, 1, 1}, std::vector<float>{4, 8, -4, 2}), src.dims);
  CHECK(dx.at({0, 0, 1, 1}) == 1.0f);
  CHECK(dx.at({0, 1, 0, 0}) == 2.0f);
  CHECK(dx.at({1, 0, 1, 0}) == -1.0f);
  CHECK(dx.at({1, 1, 0, 1}) == 0.5f);
}

TEST_CASE("reference pooling: analytic gradients match central differences") {
  Tensor x = make_tensor({2, 2, 5, 5});
  fill_random(x, 41);
  const Pool2dParams p{.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1};
  Tensor dy = make_tensor(max_pool2d_dst_dims(x.dims, p));
  fill_random(dy, 42);
  GradCheckOptions o;
  o.samples = 0;
  o.step = 1e-3;        // random values are ~0.04 apart on average: a small step rarely swaps maxima
  o.kink_factor = 0.1;  // and the guard skips the few that do
  GradCheckResult r =
      check_gradient([&] { return dot(max_pool2d_forward(x, p), dy); }, x, max_pool2d_backward(dy, x, p), o);
  CHECK_MESSAGE(r.ok, r.message);

  Tensor gy = make_tensor({2, 2, 1, 1});
  fill_random(gy, 43);
  r = check_gradient([&] { return dot(global_avg_pool_forward(x), gy); }, x,
                     global_avg_pool_backward(gy, x.dims));
  CHECK_MESSAGE(r.ok, r.message);
}
