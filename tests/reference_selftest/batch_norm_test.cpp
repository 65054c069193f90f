// Self-tests of the reference batch norm: a hand-computed channel, PyTorch's running-stat update,
// inference mode, the fused ReLU, and the full backward against finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/reference/batch_norm.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"

using namespace dnntrain::reference;

TEST_CASE("reference batch_norm: hand-computed statistics, affine, fused ReLU") {
  const Tensor src = make_tensor({1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4});
  const Tensor gamma = make_tensor({1}, 2.0f), beta = make_tensor({1}, 1.0f);
  const BatchNormForward f = batch_norm_forward_training(src, gamma, beta, 0.0);
  CHECK(f.mean.data[0] == 2.5f);
  CHECK(f.var.data[0] == 1.25f);  // biased: (2.25 + 0.25 + 0.25 + 2.25) / 4
  Tensor want = make_tensor(src.dims);
  for (size_t i = 0; i < 4; ++i)
    want.data[i] = static_cast<float>(2.0 * (static_cast<double>(i) + 1 - 2.5) / std::sqrt(1.25) + 1.0);
  auto r = expect_close(f.dst, want, 1e-6, 1e-6);
  CHECK_MESSAGE(r.ok, r.message);

  const BatchNormForward fr = batch_norm_forward_training(src, gamma, beta, 0.0, true);
  for (float& v : want.data) v = v > 0.0f ? v : 0.0f;
  r = expect_close(fr.dst, want, 1e-6, 1e-6);
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(fr.dst.data[0] == 0.0f);  // 2 * (-1.5 / 1.118) + 1 < 0

  // eps enters under the square root.
  const BatchNormForward fe = batch_norm_forward_training(src, gamma, beta, 0.75);
  CHECK(fe.dst.data[3] == doctest::Approx(2.0 * 1.5 / std::sqrt(2.0) + 1.0));
}

TEST_CASE("reference batch_norm: running stats follow PyTorch (momentum 0.1, unbiased variance)") {
  Tensor running_mean = make_tensor({2}, std::vector<float>{0.0f, 1.0f});
  Tensor running_var = make_tensor({2}, std::vector<float>{1.0f, 2.0f});
  const Tensor mean = make_tensor({2}, std::vector<float>{2.5f, -1.0f});
  const Tensor var = make_tensor({2}, std::vector<float>{1.25f, 3.0f});
  batch_norm_update_running_stats(running_mean, running_var, mean, var, 4);
  CHECK(running_mean.data[0] == doctest::Approx(0.25));
  CHECK(running_mean.data[1] == doctest::Approx(0.9 - 0.1));
  CHECK(running_var.data[0] == doctest::Approx(0.9 + 0.1 * 1.25 * 4 / 3));
  CHECK(running_var.data[1] == doctest::Approx(1.8 + 0.1 * 3.0 * 4 / 3));
  CHECK_THROWS(batch_norm_update_running_stats(running_mean, running_var, mean, var, 1));

  // The elements-per-channel count a caller passes is N * H * W of the training batch.
  Tensor src = make_tensor({3, 2, 2, 2});
  fill_random(src, 5);
  const BatchNormForward f =
      batch_norm_forward_training(src, make_tensor({2}, 1.0f), make_tensor({2}, 0.0f), 1e-5);
  Tensor rm = make_tensor({2}, 0.0f), rv = make_tensor({2}, 1.0f);
  batch_norm_update_running_stats(rm, rv, f.mean, f.var, 3 * 2 * 2, 0.5);
  for (int64_t c = 0; c < 2; ++c) {
    double s = 0.0, ss = 0.0;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t w = 0; w < 2; ++w) s += src.at({n, c, h, w});
    const double m = s / 12.0;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t w = 0; w < 2; ++w) ss += (src.at({n, c, h, w}) - m) * (src.at({n, c, h, w}) - m);
    CHECK(rm.data[c] == doctest::Approx(0.5 * m));
    CHECK(rv.data[c] == doctest::Approx(0.5 + 0.5 * ss / 11.0));
  }
}

TEST_CASE("reference batch_norm: inference uses the given statistics") {
  const Tensor src = make_tensor({2, 2, 1, 1}, std::vector<float>{1, 2, 3, 4});
  const Tensor gamma = make_tensor({2}, std::vector<float>{1.0f, -2.0f});
  const Tensor beta = make_tensor({2}, std::vector<float>{0.5f, 0.0f});
  const Tensor mean = make_tensor({2}, std::vector<float>{1.0f, 2.0f});
  const Tensor var = make_tensor({2}, std::vector<float>{4.0f, 0.25f});
  const Tensor dst = batch_norm_forward_inference(src, gamma, beta, mean, var, 0.0);
  // channel 0: (x - 1) / 2 + 0.5; channel 1: -2 (x - 2) / 0.5
  auto r = expect_close(dst, make_tensor(src.dims, std::vector<float>{0.5f, 0.0f, 1.5f, -8.0f}), 0, 0);
  CHECK_MESSAGE(r.ok, r.message);
  const Tensor dst_relu = batch_norm_forward_inference(src, gamma, beta, mean, var, 0.0, true);
  r = expect_close(dst_relu, make_tensor(src.dims, std::vector<float>{0.5f, 0.0f, 1.5f, 0.0f}), 0, 0);
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("reference batch_norm: hand-computed backward (constant and xhat-shaped diff_dst)") {
  const Tensor src = make_tensor({1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4});
  const Tensor gamma = make_tensor({1}, 2.0f), beta = make_tensor({1}, 1.0f);
  const BatchNormForward f = batch_norm_forward_training(src, gamma, beta, 0.0);
  // A constant diff_dst only moves the mean: no gradient reaches src.
  BatchNormBackward g = batch_norm_backward(make_tensor(src.dims, 1.0f), src, gamma, f.mean, f.var, 0.0);
  CHECK(g.diff_beta.data[0] == 4.0f);
  CHECK(std::fabs(g.diff_gamma.data[0]) < 1e-6f);
  for (float v : g.diff_src.data) CHECK(std::fabs(v) < 1e-6f);
  // diff_dst = xhat only scales the variance: diff_gamma = sum xhat^2 = M, diff_src = 0.
  Tensor xhat = make_tensor(src.dims);
  for (size_t i = 0; i < 4; ++i)
    xhat.data[i] = static_cast<float>((static_cast<double>(i) + 1 - 2.5) / std::sqrt(1.25));
  g = batch_norm_backward(xhat, src, gamma, f.mean, f.var, 0.0);
  CHECK(g.diff_gamma.data[0] == doctest::Approx(4.0));
  CHECK(std::fabs(g.diff_beta.data[0]) < 1e-6f);
  for (float v : g.diff_src.data) CHECK(std::fabs(v) < 1e-6f);
}

TEST_CASE("reference batch_norm: backward matches central differences, with and without fused ReLU") {
  for (bool fuse_relu : {false, true}) {
    CAPTURE(fuse_relu);
    const double eps = 1e-5;
    Tensor x = make_tensor({3, 2, 3, 2}), gamma = make_tensor({2}), beta = make_tensor({2});
    fill_random(x, 21);
    fill_random(gamma, 22, 0.5f, 1.5f);
    fill_random(beta, 23, -0.3f, 0.3f);
    Tensor dy = make_tensor(x.dims);
    fill_random(dy, 24);
    const auto loss = [&] {
      return dot(batch_norm_forward_training(x, gamma, beta, eps, fuse_relu).dst, dy);
    };
    const BatchNormForward f = batch_norm_forward_training(x, gamma, beta, eps, fuse_relu);
    const BatchNormBackward g =
        batch_norm_backward(dy, x, gamma, f.mean, f.var, eps, fuse_relu ? &f.dst : nullptr);
    GradCheckOptions o;
    o.samples = 0;
    if (fuse_relu) o.kink_factor = 0.1;  // a perturbation of x moves every output of its channel
    for (auto [input, grad] : {std::pair{&x, &g.diff_src}, {&gamma, &g.diff_gamma}, {&beta, &g.diff_beta}}) {
      const GradCheckResult r = check_gradient(loss, *input, *grad, o);
      CHECK_MESSAGE(r.ok, r.message);
    }
  }
}
