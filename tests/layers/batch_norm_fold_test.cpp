// fold_batch_norm against the definition: a convolution followed by eval-mode batch norm, both as
// plain double loops, equals the folded convolution on the same input, for a bias and no bias.
#include "layers/batch_norm_fold.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/error.hpp"

using namespace dnntrain;

namespace {

// A 1×1 convolution (O, I) over one pixel, then BN in eval mode, in double.
std::vector<double> conv_then_bn(const std::vector<float>& w, const std::vector<float>& b, const std::vector<float>& x,
                                 const std::vector<float>& gamma, const std::vector<float>& beta,
                                 const std::vector<float>& mean, const std::vector<float>& var, double eps) {
  const size_t out = gamma.size(), in = x.size();
  std::vector<double> y(out);
  for (size_t o = 0; o < out; ++o) {
    double acc = b.empty() ? 0.0 : b[o];
    for (size_t i = 0; i < in; ++i) acc += static_cast<double>(w[o * in + i]) * x[i];
    y[o] = gamma[o] * (acc - mean[o]) / std::sqrt(var[o] + eps) + beta[o];
  }
  return y;
}

}  // namespace

TEST_CASE("fold_batch_norm equals convolution then eval-mode batch norm") {
  const std::vector<float> w = {0.5f, -1.25f, 2.f, 0.75f, -0.3f, 1.1f};  // (O=2, I=3)
  const std::vector<float> x = {1.5f, -2.f, 0.25f};
  const std::vector<float> gamma = {1.3f, -0.7f}, beta = {0.2f, -0.9f};
  const std::vector<float> mean = {0.4f, -1.6f}, var = {2.5f, 0.01f};
  const double eps = 1e-5;
  for (const std::vector<float>& bias : {std::vector<float>{}, std::vector<float>{0.35f, -0.45f}}) {
    const layers::FoldedConv f = layers::fold_batch_norm(w, bias, 2, gamma, beta, mean, var, eps);
    const std::vector<double> expected = conv_then_bn(w, bias, x, gamma, beta, mean, var, eps);
    for (size_t o = 0; o < 2; ++o) {
      double y = f.bias[o];
      for (size_t i = 0; i < 3; ++i) y += static_cast<double>(f.weights[o * 3 + i]) * x[i];
      INFO("channel " << o << " folded " << y << " reference " << expected[o]);
      CHECK(std::abs(y - expected[o]) <= 1e-6 * (1 + std::abs(expected[o])));
    }
  }
}

TEST_CASE("fold_batch_norm refuses mismatched sizes and a non-positive variance") {
  const std::vector<float> w(6, 1.f), one(2, 1.f), zero(2, 0.f);
  CHECK_THROWS_AS(layers::fold_batch_norm(w, {}, 4, one, one, one, one, 1e-5), Error);
  CHECK_THROWS_AS(layers::fold_batch_norm(w, std::vector<float>(3), 2, one, one, one, one, 1e-5), Error);
  const std::vector<float> negative = {1.f, -1.f};
  CHECK_THROWS_AS(layers::fold_batch_norm(w, {}, 2, one, one, zero, negative, 1e-5), Error);
}
