// Max pooling (3×3, stride 2, padding 1: the ResNet stem) and global average pooling against the
// reference, on 5 channels blocked and batches 1 and 3; max pooling also by finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/bf16.hpp"
#include "layers/pooling.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/reference/pooling.hpp"
#include "tests/support/layer_fixture.hpp"

using namespace dnntrain;
using reference::expect_close;
using tag = dnnl::memory::format_tag;

namespace {

void check_max_pool(std::vector<int64_t> dims, int kernel, int stride, int padding) {
  testing::LayerFixture f(dims, tag::nChw16c);
  f.add<layers::MaxPool>("maxpool", layers::MaxPoolOptions{kernel, stride, padding});
  f.plan();
  f.loss();
  f.backward();
  reference::Pool2dParams pp;
  pp.kernel_h = pp.kernel_w = kernel;
  pp.stride_h = pp.stride_w = stride;
  pp.pad_h = pp.pad_w = padding;
  const auto fwd = expect_close(f.output(), reference::max_pool2d_forward(f.x, pp), 0, 0);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  const reference::Tensor dx = f.input_grad();
  const auto bwd = expect_close(dx, reference::max_pool2d_backward(f.g, f.x, pp), 1e-6, 1e-6);
  CHECK_MESSAGE(bwd.ok, "backward: " << bwd.message);
  reference::GradCheckOptions o;
  o.samples = 24;
  o.step = 1e-3;
  o.kink_factor = 0.05;
  const auto fd = reference::check_gradient([&] { return f.loss(); }, f.x, dx, o);
  CHECK_MESSAGE(fd.ok, "input vs finite differences: " << fd.message);
}

}  // namespace

TEST_CASE("max_pool 3x3 stride 2 padding 1, 5 channels, batch 3, odd size") { check_max_pool({3, 5, 9, 9}, 3, 2, 1); }

TEST_CASE("max_pool 3x3 stride 2 padding 1, batch 1, even size") { check_max_pool({1, 5, 8, 10}, 3, 2, 1); }

TEST_CASE("max_pool 2x2 stride 2, 20 channels") { check_max_pool({2, 20, 6, 6}, 2, 2, 0); }

TEST_CASE("global_avg_pool, 5 channels blocked, batch 3") {
  testing::LayerFixture f({3, 5, 7, 6}, tag::nChw16c);
  f.add<layers::GlobalAvgPool>("avgpool");
  f.plan();
  f.loss();
  f.backward();
  const auto fwd = expect_close(f.output(), reference::global_avg_pool_forward(f.x), 1e-6, 1e-5);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  const auto bwd = expect_close(f.input_grad(), reference::global_avg_pool_backward(f.g, f.x.dims), 1e-7, 1e-5);
  CHECK_MESSAGE(bwd.ok, "backward: " << bwd.message);
}

// bf16 inputs and output gradients are exact bf16 values (the fixture rounds them). The maximum is
// one of its inputs: exact. Max pooling's dx adds the gradients of up to 4 overlapping windows
// in bf16, rounding after each addition: |error| <= 3·2^-8·Σ|g| over those windows. The
// average's forward sums 42 values in f32 and its backward divides once, each rounded once to
// bf16 at the end: at most 2^-8 relative.
TEST_CASE("max_pool and global_avg_pool in bf16, 5 channels blocked, batch 3") {
  if (!testing::bf16_available()) return;
  const double rounding = engine::kBf16UnitRoundoff;
  {
    testing::LayerFixture f({3, 5, 9, 9}, tag::nChw16c, 1, dnnl::memory::data_type::bf16);
    f.add<layers::MaxPool>("maxpool", layers::MaxPoolOptions{3, 2, 1});
    f.plan();
    f.loss();
    f.backward();
    reference::Pool2dParams pp;
    pp.kernel_h = pp.kernel_w = 3;
    pp.stride_h = pp.stride_w = 2;
    pp.pad_h = pp.pad_w = 1;
    const auto fwd = expect_close(f.output(), reference::max_pool2d_forward(f.x, pp), 0, 0);
    CHECK_MESSAGE(fwd.ok, "max forward: " << fwd.message);
    const reference::Tensor dx = f.input_grad(), want = reference::max_pool2d_backward(f.g, f.x, pp);
    reference::Tensor abs_g = f.g;
    for (float& v : abs_g.data) v = std::fabs(v);
    const reference::Tensor abs_sum = reference::max_pool2d_backward(abs_g, f.x, pp);
    size_t outside = 0;
    for (size_t i = 0; i < dx.size(); ++i)
      outside += std::fabs(dx.data[i] - want.data[i]) > 3 * rounding * abs_sum.data[i];
    const reference::Diff diff = reference::compare(dx.data.data(), want.data.data(), dx.size());
    CHECK_MESSAGE(outside == 0,
                  "max backward: " << outside << " elements beyond 3·2^-8·Σ|g|; " << reference::describe(diff));
  }
  testing::LayerFixture f({3, 5, 7, 6}, tag::nChw16c, 1, dnnl::memory::data_type::bf16);
  f.add<layers::GlobalAvgPool>("avgpool");
  f.plan();
  f.loss();
  f.backward();
  const auto fwd = expect_close(f.output(), reference::global_avg_pool_forward(f.x), 1e-6, rounding);
  CHECK_MESSAGE(fwd.ok, "average forward: " << fwd.message);
  const auto bwd =
      expect_close(f.input_grad(), reference::global_avg_pool_backward(f.g, f.x.dims), 1e-7, rounding);
  CHECK_MESSAGE(bwd.ok, "average backward: " << bwd.message);
}
