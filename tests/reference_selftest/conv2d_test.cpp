// Self-tests of the reference convolution: hand-computed 1x1x3x3 cases, the adjoint identities
// that tie the three passes together (exact with small integers), and finite differences.
#include <doctest/doctest.h>

#include "tests/reference/compare.hpp"
#include "tests/reference/conv2d.hpp"
#include "tests/reference/finite_difference.hpp"

using namespace dnntrain::reference;

namespace {

Tensor one_to_nine() {
  Tensor src = make_tensor({1, 1, 3, 3});
  fill_iota(src, 1.0f, 1.0f);
  return src;
}

}  // namespace

TEST_CASE("reference conv2d: hand-computed 2x2 kernel, bias, and both backward passes") {
  const Tensor src = one_to_nine();
  const Tensor w = make_tensor({1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4});
  const Tensor b = make_tensor({1}, std::vector<float>{0.5f});
  const Tensor dst = conv2d_forward(src, w, &b, {});
  const auto r =
      expect_close(dst, make_tensor({1, 1, 2, 2}, std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f}), 0, 0);
  CHECK_MESSAGE(r.ok, r.message);

  const Tensor ones = make_tensor({1, 1, 2, 2}, 1.0f);
  const Tensor diff_src = conv2d_backward_data(ones, w, src.dims, {});
  const auto rd =
      expect_close(diff_src, make_tensor(src.dims, std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4}), 0, 0);
  CHECK_MESSAGE(rd.ok, rd.message);

  const Conv2dWeightGrads g = conv2d_backward_weights(src, ones, w.dims, {});
  const auto rw = expect_close(g.diff_weights, make_tensor(w.dims, std::vector<float>{12, 16, 24, 28}), 0, 0);
  CHECK_MESSAGE(rw.ok, rw.message);
  CHECK(g.diff_bias.data == std::vector<float>{4.0f});
}

TEST_CASE("reference conv2d: 3x3 ones kernel with padding 1, stride 1 and 2") {
  const Tensor src = one_to_nine();
  const Tensor w = make_tensor({1, 1, 3, 3}, 1.0f);
  const Tensor s1 = conv2d_forward(src, w, nullptr, {.pad_h = 1, .pad_w = 1});
  auto r = expect_close(s1, make_tensor({1, 1, 3, 3}, std::vector<float>{12, 21, 16, 27, 45, 33, 24, 39, 28}),
                        0, 0);
  CHECK_MESSAGE(r.ok, r.message);
  const Tensor s2 = conv2d_forward(src, w, nullptr, {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
  r = expect_close(s2, make_tensor({1, 1, 2, 2}, std::vector<float>{12, 16, 24, 28}), 0, 0);
  CHECK_MESSAGE(r.ok, r.message);
  CHECK_THROWS(conv2d_forward(src, make_tensor({1, 2, 3, 3}), nullptr, {}));
}

TEST_CASE("reference conv2d: <conv(x), dy> = <x, backward_data(dy)> = <w, backward_weights(dy)>, exactly") {
  struct Case {
    std::vector<int64_t> src, weights;
    Conv2dParams p;
  };
  const Case cases[] = {
      {{2, 3, 5, 5}, {4, 3, 3, 3}, {.pad_h = 1, .pad_w = 1}},
      {{1, 2, 7, 6}, {3, 2, 3, 3}, {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1}},
      {{2, 4, 6, 6}, {2, 4, 1, 1}, {.stride_h = 2, .stride_w = 2}},
      {{1, 3, 9, 8}, {2, 3, 7, 7}, {.stride_h = 2, .stride_w = 3, .pad_h = 3, .pad_w = 2}},
  };
  uint64_t seed = 100;
  for (const Case& c : cases) {
    Tensor x = make_tensor(c.src), w = make_tensor(c.weights);
    fill_small_integers(x, seed++);
    fill_small_integers(w, seed++);
    Tensor dy = make_tensor(conv2d_dst_dims(c.src, c.weights, c.p));
    fill_small_integers(dy, seed++);
    const double lhs = dot(conv2d_forward(x, w, nullptr, c.p), dy);
    CHECK(lhs == dot(x, conv2d_backward_data(dy, w, c.src, c.p)));
    CHECK(lhs == dot(w, conv2d_backward_weights(x, dy, c.weights, c.p).diff_weights));
  }
}

TEST_CASE("reference conv2d: analytic gradients match central differences") {
  const Conv2dParams p{.stride_h = 2, .stride_w = 1, .pad_h = 1, .pad_w = 1};
  Tensor x = make_tensor({2, 3, 5, 4}), w = make_tensor({2, 3, 3, 3}), b = make_tensor({2});
  fill_random(x, 1);
  fill_random(w, 2);
  fill_random(b, 3);
  Tensor dy = make_tensor(conv2d_dst_dims(x.dims, w.dims, p));
  fill_random(dy, 4);
  const auto loss = [&] { return dot(conv2d_forward(x, w, &b, p), dy); };
  const Tensor dx = conv2d_backward_data(dy, w, x.dims, p);
  const Conv2dWeightGrads g = conv2d_backward_weights(x, dy, w.dims, p);
  for (auto [input, grad] : {std::pair{&x, &dx}, {&w, &g.diff_weights}, {&b, &g.diff_bias}}) {
    const GradCheckResult r = check_gradient(loss, *input, *grad);
    CHECK_MESSAGE(r.ok, r.message);
  }
}
