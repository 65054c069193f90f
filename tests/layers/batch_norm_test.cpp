// BatchNorm against the reference: training with batch statistics (plain and fused ReLU), PyTorch's
// running-statistics update (unbiased running_var), eval with running statistics, on 5 channels
// (blocked padding) and batches 1 and 3; gradients also against finite differences; frozen
// statistics (--freeze-bn) in training; the running statistics as planner memory; bf16 activations
// with tolerances derived from bf16 rounding.
#include "layers/batch_norm.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/bf16.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/error.hpp"
#include "tests/reference/batch_norm.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/support/layer_fixture.hpp"

using namespace dnntrain;
using reference::expect_close;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

engine::Buffer& buffer(engine::Graph& g, const std::string& name) {
  for (engine::Buffer* b : g.buffers())
    if (b->name == name) return *b;
  throw std::invalid_argument("no buffer " + name);
}

// The input, gamma and beta gradients of the last backward against finite differences of f.loss().
void check_finite_differences(testing::LayerFixture& f, bool relu) {
  const reference::Tensor dx = f.input_grad();  // before loss() reuses the memory
  const reference::Tensor dgamma = f.grad("bn.weight"), dbeta = f.grad("bn.bias");
  reference::GradCheckOptions o;
  o.samples = 16;
  // With a fused ReLU a step moves many outputs of a channel across the kink at once (a BN shift
  // acts on the whole channel), so take a smaller step there; float noise stays below atol.
  o.step = relu ? 1e-3 : 1e-2;
  o.atol = 5e-3;
  o.rtol = 2e-2;
  o.kink_factor = relu ? 0.05 : 0.0;  // one-sided slopes 5% apart: a ReLU kink lies inside the step
  auto loss = [&] { return f.loss(); };
  const auto fd_x = reference::check_gradient(loss, f.x, dx, o);
  CHECK_MESSAGE(fd_x.ok, "input vs finite differences: " << fd_x.message);
  const auto fd_g = reference::check_gradient(loss, f.param("bn.weight"), dgamma, o);
  CHECK_MESSAGE(fd_g.ok, "gamma vs finite differences: " << fd_g.message);
  const auto fd_b = reference::check_gradient(loss, f.param("bn.bias"), dbeta, o);
  CHECK_MESSAGE(fd_b.ok, "beta vs finite differences: " << fd_b.message);
}

// |got - want| <= atol + rtol·max(|got|, |want|) against the double reference.
struct Tolerance {
  double atol, rtol;
};

// f32 tolerances of the outputs y and dx for the bf16 layer. The fixture rounds x and the loss
// weights g (= dy) to bf16 and the reference sees those same values, so the f32 arithmetic in
// between is the f32 path's, with its error (f32.atol + f32.rtol·|·|); the stored result is that
// f32 value v rounded once to nearest bf16, off by at most 2^-8·|stored| (engine::kBf16UnitRoundoff:
// the rounding never leaves v's binade downwards). Adding the two, with |v| <= (1 + 2^-8)·|stored|:
Tolerance rounded_once_to_bf16(Tolerance f32) {
  const double u = engine::kBf16UnitRoundoff;
  return {f32.atol, u + f32.rtol * (1 + u)};
}

void check_training(std::vector<int64_t> dims, bool relu, std::optional<tag> layout, dt type = dt::f32) {
  const int c = static_cast<int>(dims[1]);
  testing::LayerFixture f(dims, layout, 1, type);
  f.add<layers::BatchNorm>("bn", layers::BatchNormOptions{c, relu});
  f.plan();
  f.loss();
  f.backward();
  reference::Tensor& gamma = f.param("bn.weight");
  reference::Tensor& beta = f.param("bn.bias");
  const auto ref = reference::batch_norm_forward_training(f.x, gamma, beta, 1e-5, relu);
  const bool bf16 = type == dt::bf16;
  const Tolerance y_tol = bf16 ? rounded_once_to_bf16({1e-5, 1e-4}) : Tolerance{1e-5, 1e-4};
  const Tolerance dx_tol = bf16 ? rounded_once_to_bf16({1e-4, 1e-3}) : Tolerance{1e-4, 1e-3};
  const auto fwd = expect_close(f.output(), ref.dst, y_tol.atol, y_tol.rtol);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  const auto bwd =
      reference::batch_norm_backward(f.g, f.x, gamma, ref.mean, ref.var, 1e-5, relu ? &ref.dst : nullptr);
  const reference::Tensor dx = f.input_grad();
  const reference::Tensor dgamma = f.grad("bn.weight"), dbeta = f.grad("bn.bias");
  const auto cx = expect_close(dx, bwd.diff_src, dx_tol.atol, dx_tol.rtol);
  CHECK_MESSAGE(cx.ok, "diff_src: " << cx.message);
  // dgamma and dbeta are f32 roundings of double sums of the same exact products as in f32 (bf16
  // x and dy widen exactly): f32's tolerance in both types.
  const auto cg = expect_close(dgamma, bwd.diff_gamma, 1e-4, 1e-4);
  CHECK_MESSAGE(cg.ok, "diff_gamma: " << cg.message);
  const auto cb = expect_close(dbeta, bwd.diff_beta, 1e-4, 1e-4);
  CHECK_MESSAGE(cb.ok, "diff_beta: " << cb.message);

  // In bf16 the output's rounding (up to 2^-8 relative) swamps any finite-difference quotient.
  if (!bf16) check_finite_differences(f, relu);
}

}  // namespace

TEST_CASE("batch_norm training, 5 channels blocked, batch 3") {
  check_training({3, 5, 6, 7}, false, tag::nChw16c);
}

TEST_CASE("batch_norm training with fused ReLU, 5 channels blocked, batch 3") {
  check_training({3, 5, 6, 7}, true, tag::nChw16c);
}

TEST_CASE("batch_norm training with fused ReLU, 24 channels channels-last (16 + 8 lanes), batch 2") {
  check_training({2, 24, 5, 3}, true, tag::nhwc);
}

TEST_CASE("batch_norm training with fused ReLU, 5 channels in 8-channel blocks, batch 3") {
  check_training({3, 5, 4, 6}, true, tag::nChw8c);
}

TEST_CASE("batch_norm training, batch 1, 32 channels, plain layout") {
  check_training({1, 32, 4, 4}, true, std::nullopt);
}

TEST_CASE("batch_norm training on bf16 activations, 5 channels blocked (padding), batch 3") {
  check_training({3, 5, 6, 7}, false, tag::nChw16c, dt::bf16);
}

TEST_CASE("batch_norm training with fused ReLU on bf16 activations, 5 channels blocked, batch 3") {
  check_training({3, 5, 6, 7}, true, tag::nChw16c, dt::bf16);
}

TEST_CASE(
    "batch_norm training with fused ReLU on bf16 activations, 24 channels channels-last (16 + 8 lanes)") {
  check_training({2, 24, 5, 3}, true, tag::nhwc, dt::bf16);
}

TEST_CASE("batch_norm training on bf16 activations, 25 channels channels-last (16 + 8 + 1 lanes)") {
  check_training({2, 25, 4, 3}, false, tag::nhwc, dt::bf16);
}

TEST_CASE("batch_norm plans bf16 activations in bf16 and refuses other types, naming the layer") {
  {
    testing::LayerFixture f({3, 5, 4, 4}, tag::nChw16c, 1, dt::bf16);
    f.add<layers::BatchNorm>("bn", layers::BatchNormOptions{5, true});
    f.plan();
    CHECK_MESSAGE(f.graph.describe().find("own kernels, bf16 data") != std::string::npos, f.graph.describe());
  }
  testing::LayerFixture f({3, 5, 4, 4}, tag::nChw16c, 1, dt::s8);
  f.add<layers::BatchNorm>("layer2.1.bn2", layers::BatchNormOptions{5, false});
  try {
    f.plan();
    FAIL("planning a BN over s8 activations must throw");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.find("layer2.1.bn2") != std::string::npos, what);
    CHECK_MESSAGE(what.find("f32 or bf16") != std::string::npos, what);
  }
}

TEST_CASE("batch_norm running statistics follow PyTorch and eval mode uses them") {
  for (dt type : {dt::f32, dt::bf16}) {
    const bool bf16 = type == dt::bf16;
    CAPTURE(bf16);
    testing::LayerFixture f({3, 5, 4, 4}, tag::nChw16c, 1, type);
    f.add<layers::BatchNorm>("bn", layers::BatchNormOptions{5, true});
    f.plan();
    reference::Tensor run_mean = reference::make_tensor({5}, 0.f), run_var = reference::make_tensor({5}, 1.f);
    // The input as the layer sees it: bf16 rounds it (the statistics then are those of the rounded x).
    const auto fill = [&](uint64_t seed, float lo, float hi) {
      reference::fill_random(f.x, seed, lo, hi);
      if (bf16)
        testing::round_to_bf16(f.x);
    };
    for (int step = 0; step < 2; ++step) {
      fill(40 + step, -2.f, 3.f);
      f.loss();
      const auto ref =
          reference::batch_norm_forward_training(f.x, f.param("bn.weight"), f.param("bn.bias"), 1e-5);
      reference::batch_norm_update_running_stats(run_mean, run_var, ref.mean, ref.var, 3 * 4 * 4, 0.1);
    }
    // Statistics of the same x the reference reads, summed in double: f32's tolerances in both types.
    engine::Buffer& mean = buffer(f.graph, "bn.running_mean");
    engine::Buffer& var = buffer(f.graph, "bn.running_var");
    const auto cm = expect_close(mean.f32().data(), run_mean.data.data(), 5, 1e-6, 1e-5);
    CHECK_MESSAGE(cm.ok, "running_mean: " << cm.message);
    const auto cv = expect_close(var.f32().data(), run_var.data.data(), 5, 1e-6, 1e-5);
    CHECK_MESSAGE(cv.ok, "running_var: " << cv.message);
    CHECK(buffer(f.graph, "bn.num_batches_tracked").i64() == 2);

    fill(99, -1.f, 1.f);
    f.loss(engine::Mode::eval);
    const reference::Tensor want = reference::batch_norm_forward_inference(
        f.x, f.param("bn.weight"), f.param("bn.bias"), run_mean, run_var, 1e-5, true);
    const Tolerance y_tol = bf16 ? rounded_once_to_bf16({1e-5, 1e-4}) : Tolerance{1e-5, 1e-4};
    const auto ce = expect_close(f.output(), want, y_tol.atol, y_tol.rtol);
    CHECK_MESSAGE(ce.ok, "eval forward: " << ce.message);
    CHECK_MESSAGE(buffer(f.graph, "bn.num_batches_tracked").i64() == 2, "eval must not count batches");
  }
}

TEST_CASE("frozen batch_norm trains with the running statistics and leaves them unchanged") {
  testing::LayerFixture f({3, 5, 4, 4}, tag::nChw16c);
  f.add<layers::BatchNorm>("bn", layers::BatchNormOptions{5, true, 1e-5f, 0.1f, /*frozen=*/true});
  f.plan();
  reference::Tensor run_mean = reference::make_tensor({5}, 0.f), run_var = reference::make_tensor({5}, 1.f);
  reference::fill_random(run_mean, 7, -0.5f, 0.5f);
  reference::fill_random(run_var, 8, 0.5f, 2.f);
  engine::Buffer& mean = buffer(f.graph, "bn.running_mean");
  engine::Buffer& var = buffer(f.graph, "bn.running_var");
  std::copy(run_mean.data.begin(), run_mean.data.end(), mean.f32().begin());
  std::copy(run_var.data.begin(), run_var.data.end(), var.f32().begin());
  f.loss();
  f.backward();
  const reference::Tensor want = reference::batch_norm_forward_inference(
      f.x, f.param("bn.weight"), f.param("bn.bias"), run_mean, run_var, 1e-5, true);
  const auto cf = expect_close(f.output(), want, 1e-5, 1e-4);
  CHECK_MESSAGE(cf.ok, "forward: " << cf.message);
  CHECK(std::equal(mean.f32().begin(), mean.f32().end(), run_mean.data.begin()));
  CHECK(std::equal(var.f32().begin(), var.f32().end(), run_var.data.begin()));
  CHECK(buffer(f.graph, "bn.num_batches_tracked").i64() == 0);

  // The statistics are constants of the loss: every gradient against finite differences.
  check_finite_differences(f, true);
}

TEST_CASE(
    "batch_norm's running statistics are planner memory: initial values at plan(), one place for good") {
  engine::Context context;
  engine::Graph graph(context);
  engine::TensorId x = graph.input({3, 5, 4, 4});
  engine::TensorId y = graph.add<layers::BatchNorm>("bn", {x}, {.channels = 5});
  graph.add<testing::DotLoss>("dot", {y});
  graph.plan();
  engine::Buffer& mean = buffer(graph, "bn.running_mean");
  engine::Buffer& var = buffer(graph, "bn.running_var");
  engine::Buffer& count = buffer(graph, "bn.num_batches_tracked");
  // Before initialize(): PyTorch's initial values (running_var 1), in the persistent arena.
  CHECK(std::ranges::all_of(mean.f32(), [](float v) { return v == 0.f; }));
  CHECK(std::ranges::all_of(var.f32(), [](float v) { return v == 1.f; }));
  CHECK(count.i64() == 0);
  CHECK(graph.memory_report().persistent >= 2 * 5 * sizeof(float) + sizeof(int64_t));
  const void* places[] = {mean.bytes().data(), var.bytes().data(), count.bytes().data()};

  const std::string path =
      (std::filesystem::temp_directory_path() / "dnntrain_bn_buffers_test.safetensors").string();
  graph.initialize(1);
  reference::Tensor in = reference::make_tensor({3, 5, 4, 4}), g = reference::make_tensor({3, 5, 4, 4});
  reference::fill_random(in, 3, -1.f, 2.f);
  reference::fill_random(g, 4);
  graph.layer<testing::DotLoss>("dot").set_weights(g);
  graph.forward(engine::Mode::train, in.data.data(), nullptr);
  const std::vector<float> trained(var.f32().begin(), var.f32().end());
  CHECK_FALSE(std::ranges::all_of(trained, [](float v) { return v == 1.f; }));
  engine::save_weights(path, graph.parameters(), graph.buffers());
  graph.initialize(1);
  CHECK(std::ranges::all_of(var.f32(), [](float v) { return v == 1.f; }));
  engine::load_weights(path, graph.parameters(), graph.buffers());
  std::filesystem::remove(path);
  CHECK(std::ranges::equal(var.f32(), trained));
  CHECK(count.i64() == 1);
  const void* after[] = {mean.bytes().data(), var.bytes().data(), count.bytes().data()};
  CHECK(std::ranges::equal(places, after));
}

TEST_CASE("batch_norm rejects a single value per channel in training") {
  testing::LayerFixture f({1, 4, 1, 1}, std::nullopt);
  f.add<layers::BatchNorm>("layer1.0.bn1", layers::BatchNormOptions{4, false});
  try {
    f.plan();
    FAIL("planning a BN over one value per channel must throw");
  } catch (const Error& e) {
    CHECK_MESSAGE(std::string(e.what()).find("layer1.0.bn1") != std::string::npos, e.what());
  }
}

// 65536 values per channel around a mean of 3, with moved gamma and beta: statistics and gradient
// sums accumulated in float32 drift by several ulps here (PyTorch's CPU kernels sum in double);
// ours must stay within 4 ulps (4 · 2^-24 relative) of the double reference, per element.
TEST_CASE("batch_norm keeps float32's own precision over 65536 values per channel") {
  for (bool relu : {false, true}) {
    CAPTURE(relu);
    testing::LayerFixture f({16, 16, 64, 64}, tag::nChw16c);
    f.add<layers::BatchNorm>("bn", layers::BatchNormOptions{16, relu});
    f.plan();
    for (size_t i = 0; i < f.x.data.size(); ++i) f.x.data[i] = 3.f + f.x.data[i];
    reference::Tensor& gamma = f.param("bn.weight");
    reference::Tensor& beta = f.param("bn.bias");
    for (int c = 0; c < 16; ++c) {
      gamma.data[c] = 0.5f + 0.0625f * c;
      beta.data[c] = 0.05f * (c - 8);
    }
    f.loss();
    f.backward();
    const auto ref = reference::batch_norm_forward_training(f.x, gamma, beta, 1e-5, relu);
    const auto bwd =
        reference::batch_norm_backward(f.g, f.x, gamma, ref.mean, ref.var, 1e-5, relu ? &ref.dst : nullptr);
    const double ulp4 = 4.0 / (1 << 24);
    const auto max_abs = [](const reference::Tensor& t) {
      float m = 0;
      for (float v : t.data) m = std::max(m, std::abs(v));
      return m;
    };
    const auto fwd = expect_close(f.output(), ref.dst, ulp4 * max_abs(ref.dst), ulp4);
    CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
    const auto cx = expect_close(f.input_grad(), bwd.diff_src, ulp4 * max_abs(bwd.diff_src), ulp4);
    CHECK_MESSAGE(cx.ok, "diff_src: " << cx.message);
    const auto cg = expect_close(f.grad("bn.weight"), bwd.diff_gamma, ulp4 * max_abs(bwd.diff_gamma), ulp4);
    CHECK_MESSAGE(cg.ok, "diff_gamma: " << cg.message);
    const auto cb = expect_close(f.grad("bn.bias"), bwd.diff_beta, ulp4 * max_abs(bwd.diff_beta), ulp4);
    CHECK_MESSAGE(cb.ok, "diff_beta: " << cb.message);
  }
}

// Backward recomputes the fused ReLU's mask from the input. Inputs equal to their channel's mean
// with beta = 0 put the pre-activation within rounding of zero, where its sign depends on how
// x·scale + offset is rounded: backward must reproduce forward's rounding exactly. beta's gradient
// is then Σ dy over forward's own positive outputs; one differing mask bit moves it by about |dy|.
// In bf16 the inputs are multiples of 1/8 (exact in bf16), so that the middle value of each
// channel is its mean exactly; the tiny positive pre-activations stay positive once rounded to bf16.
TEST_CASE("batch_norm's backward ReLU mask is the one forward applied, at pre-activations near zero") {
  for (dt type : {dt::f32, dt::bf16}) {
    const bool bf16 = type == dt::bf16;
    CAPTURE(bf16);
    const int64_t n = 4, c = 16, hw = 6 * 6;
    testing::LayerFixture f({n, c, 6, 6}, tag::nChw16c, 1, type);
    f.add<layers::BatchNorm>("bn", layers::BatchNormOptions{static_cast<int>(c), true});
    f.plan();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t s = 0; s < hw; ++s) {
          const float spread = 0.5f * static_cast<float>((i * hw + s) % 3 - 1);
          float& v = f.x.data[(i * c + ch) * hw + s];
          v = bf16 ? 0.375f + 0.125f * ch + spread : 0.37f + 0.11f * ch + spread;
          if (bf16) REQUIRE(engine::round_to_bf16(v) == v);
        }
    reference::Tensor& beta = f.param("bn.bias");
    std::fill(beta.data.begin(), beta.data.end(), 0.f);
    f.loss();
    f.backward();
    const reference::Tensor dbeta = f.grad("bn.bias");
    const reference::Tensor& y = f.output();
    int near_zero = 0;
    for (int64_t ch = 0; ch < c; ++ch) {
      double expected = 0, magnitude = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t s = 0; s < hw; ++s) {
          const size_t at = static_cast<size_t>((i * c + ch) * hw + s);
          if (y.data[at] > 0.f) expected += f.g.data[at];
          magnitude += std::abs(f.g.data[at]);
          if (y.data[at] != 0.f && std::abs(y.data[at]) < 1e-5f) ++near_zero;
        }
      CAPTURE(ch);
      CHECK(std::abs(dbeta.data[ch] - expected) <= 1e-6 * magnitude);
    }
    CHECK(near_zero > 0);  // the case does reach the rounding-decided outputs
  }
}
