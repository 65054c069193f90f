// Conv2d against the double-accumulating reference and central finite differences, on shapes with
// channel counts that pad their 16-blocks, batch 1 and 3, stride 2, with and without bias.
#include <doctest/doctest.h>

#include "engine/bf16.hpp"
#include "layers/conv2d.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/conv2d.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/support/layer_fixture.hpp"

using namespace dnntrain;
using reference::expect_close;
using tag = dnnl::memory::format_tag;
using memory_dims = dnnl::memory::dims;

namespace {

struct Case {
  int64_t n, c, h, w;
  int out, kernel, stride, padding;
  bool bias;
  std::optional<tag> layout;
  layers::Conv2dOptions::Algorithm algorithm = layers::Conv2dOptions::Algorithm::direct;
  bool expect_winograd = false;  // the plan must show Winograd forward (else: direct everywhere)
};

void check_conv(const Case& k) {
  testing::LayerFixture f({k.n, k.c, k.h, k.w}, k.layout);
  f.add<layers::Conv2d>("conv", layers::Conv2dOptions{static_cast<int>(k.c), k.out, k.kernel, k.stride,
                                                      k.padding, k.bias, k.algorithm});
  f.plan();
  // The algorithms are chosen by plan(); the plan names them ("fwd winograd ...", "bwd_d direct").
  const std::string plan = f.graph.describe();
  const bool winograd = plan.find("fwd winograd") != std::string::npos;
  CHECK_MESSAGE(winograd == k.expect_winograd, plan);
  const bool asked = k.algorithm == layers::Conv2dOptions::Algorithm::winograd;
  if (!winograd) CHECK_MESSAGE((plan.find("winograd unavailable") != std::string::npos) == asked, plan);
  // Winograd transforms round differently from direct summation: relative error ~1e-6 of the
  // summed magnitudes (1.7-2.8e-6 measured on ResNet shapes), so its absolute tolerance is wider.
  const double atol = winograd ? 2e-4 : 1e-5;
  f.loss();
  f.backward();

  reference::Conv2dParams cp;
  cp.stride_h = cp.stride_w = k.stride;
  cp.pad_h = cp.pad_w = k.padding;
  reference::Tensor& w = f.param("conv.weight");
  reference::Tensor* b = k.bias ? &f.param("conv.bias") : nullptr;
  const reference::Tensor y = reference::conv2d_forward(f.x, w, b, cp);
  const auto fwd = expect_close(f.output(), y, atol, 1e-4);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);

  const reference::Tensor dx = reference::conv2d_backward_data(f.g, w, f.x.dims, cp);
  const reference::Conv2dWeightGrads dw = reference::conv2d_backward_weights(f.x, f.g, w.dims, cp);
  const auto bwd_d = expect_close(f.input_grad(), dx, atol, 1e-4);
  CHECK_MESSAGE(bwd_d.ok, "diff_src: " << bwd_d.message);
  const reference::Tensor engine_dw = f.grad("conv.weight");
  const auto bwd_w = expect_close(engine_dw, dw.diff_weights, 10 * atol, 1e-4);
  CHECK_MESSAGE(bwd_w.ok, "diff_weights: " << bwd_w.message);
  if (k.bias) {
    const auto bwd_b = expect_close(f.grad("conv.bias"), dw.diff_bias, 1e-4, 1e-4);
    CHECK_MESSAGE(bwd_b.ok, "diff_bias: " << bwd_b.message);
  }

  // Finite differences through the real graph (the loss is linear in w and x for a conv).
  reference::GradCheckOptions o;
  o.samples = 12;
  auto loss = [&] { return f.loss(); };
  const auto fd_w = reference::check_gradient(loss, w, engine_dw, o);
  CHECK_MESSAGE(fd_w.ok, "weights vs finite differences: " << fd_w.message);
  const auto fd_x = reference::check_gradient(loss, f.x, dx, o);
  CHECK_MESSAGE(fd_x.ok, "input vs finite differences: " << fd_x.message);
}

// A bf16 convolution: x, g (the fixture rounds them) and the weights' working copy are exact bf16
// values, so every product is exact in f32 and oneDNN accumulates in f32, as the f32 path does.
// The outputs written in bf16 (y and dx) add one rounding to nearest: at most 2^-8 relative. dW is
// written in f32 and keeps the f32 path's tolerances. The reference gets the rounded weights.
void check_conv_bf16(const Case& k) {
  testing::LayerFixture f({k.n, k.c, k.h, k.w}, k.layout, 1, dnnl::memory::data_type::bf16);
  f.add<layers::Conv2d>("conv", layers::Conv2dOptions{static_cast<int>(k.c), k.out, k.kernel, k.stride,
                                                      k.padding, k.bias, k.algorithm});
  f.plan();
  const std::string plan = f.graph.describe();
  CHECK_MESSAGE(plan.find("fwd winograd") == std::string::npos, plan);  // oneDNN has no bf16 Winograd
  f.loss();
  f.backward();

  reference::Conv2dParams cp;
  cp.stride_h = cp.stride_w = k.stride;
  cp.pad_h = cp.pad_w = k.padding;
  reference::Tensor w = f.param("conv.weight");
  testing::round_to_bf16(w);
  reference::Tensor* b = k.bias ? &f.param("conv.bias") : nullptr;  // bias stays f32
  const double rounding = engine::kBf16UnitRoundoff;
  const auto fwd = expect_close(f.output(), reference::conv2d_forward(f.x, w, b, cp), 1e-5, rounding + 1e-4);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  const reference::Tensor dx = reference::conv2d_backward_data(f.g, w, f.x.dims, cp);
  const auto bwd_d = expect_close(f.input_grad(), dx, 1e-5, rounding + 1e-4);
  CHECK_MESSAGE(bwd_d.ok, "diff_src: " << bwd_d.message);
  const reference::Conv2dWeightGrads dw = reference::conv2d_backward_weights(f.x, f.g, w.dims, cp);
  const auto bwd_w = expect_close(f.grad("conv.weight"), dw.diff_weights, 1e-4, 1e-4);
  CHECK_MESSAGE(bwd_w.ok, "diff_weights: " << bwd_w.message);
  if (k.bias) {
    const auto bwd_b = expect_close(f.grad("conv.bias"), dw.diff_bias, 1e-4, 1e-4);
    CHECK_MESSAGE(bwd_b.ok, "diff_bias: " << bwd_b.message);
  }
}

}  // namespace

TEST_CASE("conv2d 3x3 stride 2, 5->7 channels, batch 3, bias, blocked input") {
  check_conv({3, 5, 9, 9, 7, 3, 2, 1, true, tag::nChw16c});
}

TEST_CASE("conv2d 1x1, 3->20 channels, batch 1, plain input") {
  check_conv({1, 3, 6, 5, 20, 1, 1, 0, false, std::nullopt});
}

TEST_CASE("conv2d 3x3 stride 1, 16->32 channels, batch 2, blocked input") {
  check_conv({2, 16, 7, 7, 32, 3, 1, 1, false, tag::nChw16c});
}

// Whether oneDNN has a Winograd training convolution for this shape: 2.x had one for AVX-512 f32;
// 3.x has none on x86 CPUs, and there the request falls back to direct and the plan says so.
bool winograd_training_available(const memory_dims& src, const memory_dims& weights, const memory_dims& dst) {
  const auto any = [](const memory_dims& d) { return dnnl::memory::desc(d, dnnl::memory::data_type::f32, tag::any); };
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return static_cast<bool>(dnnl::convolution_forward::primitive_desc(
      eng, dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_winograd, any(src), any(weights),
      dnnl::memory::desc(), any(dst), {1, 1}, {1, 1}, {1, 1}, dnnl::primitive_attr(), /*allow_empty=*/true));
}

TEST_CASE("conv2d 3x3 stride 1 Winograd where oneDNN has it, 16->32 channels, batch 2, blocked input") {
  const bool available = winograd_training_available({2, 16, 7, 7}, {32, 16, 3, 3}, {2, 32, 7, 7});
  MESSAGE("oneDNN Winograd training convolution available: " << available);
  check_conv({2, 16, 7, 7, 32, 3, 1, 1, false, tag::nChw16c, layers::Conv2dOptions::Algorithm::winograd, available});
}

TEST_CASE("conv2d 3x3 stride 1 automatic algorithm is direct, 5->7 channels, bias") {
  check_conv({3, 5, 6, 6, 7, 3, 1, 1, true, tag::nChw16c, layers::Conv2dOptions::Algorithm::automatic, false});
}

TEST_CASE("conv2d 7x7 stride 2 stem shape, 3->16 channels, batch 2") {
  check_conv({2, 3, 15, 15, 16, 7, 2, 3, false, std::nullopt});
}

TEST_CASE("conv2d on the graph input skips backward-data") {
  engine::Context context;
  engine::Graph graph(context);
  engine::TensorId x = graph.input({2, 3, 8, 8});
  engine::TensorId y = graph.add<layers::Conv2d>(
      "conv1", {x}, {.in_channels = 3, .out_channels = 4, .kernel = 3, .stride = 2, .padding = 1});
  graph.add<testing::DotLoss>("dot", {y});
  graph.plan();
  const std::string plan = graph.describe();
  CHECK_MESSAGE(plan.find("bwd_d") == std::string::npos, plan);
  CHECK_MESSAGE(plan.find("bwd_w") != std::string::npos, plan);
  CHECK_FALSE(static_cast<bool>(graph.diff(x)));
}

TEST_CASE("conv2d in bf16: 3x3 stride 1, 16->32 channels, batch 2, blocked input") {
  if (!testing::bf16_available()) return;
  check_conv_bf16({2, 16, 7, 7, 32, 3, 1, 1, false, tag::nChw16c});
}

TEST_CASE("conv2d in bf16: 3x3 stride 2, 5->7 channels (padded blocks), batch 3, bias") {
  if (!testing::bf16_available()) return;
  check_conv_bf16({3, 5, 9, 9, 7, 3, 2, 1, true, tag::nChw16c});
}

TEST_CASE("conv2d in bf16: 1x1, 48->24 channels, batch 2, the Winograd request falls back to direct") {
  if (!testing::bf16_available()) return;
  check_conv_bf16({2, 48, 5, 5, 24, 1, 1, 0, false, tag::nChw16c, layers::Conv2dOptions::Algorithm::winograd});
}

TEST_CASE("conv2d in bf16: 7x7 stride 2 stem shape, 3->16 channels, plain input") {
  if (!testing::bf16_available()) return;
  check_conv_bf16({2, 3, 15, 15, 16, 7, 2, 3, false, std::nullopt});
}
