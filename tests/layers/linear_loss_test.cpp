// Linear (inner product with bias) and the softmax cross-entropy loss against the reference, with
// and without label smoothing; gradients of the whole head also by finite differences.
#include <doctest/doctest.h>

#include "engine/error.hpp"
#include "layers/linear.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/reference/linear.hpp"
#include "tests/reference/softmax_cross_entropy.hpp"
#include "tests/support/harness.hpp"

using namespace dnntrain;
using reference::expect_close;
using tag = dnnl::memory::format_tag;

namespace {

struct Head {
  engine::Context context;
  engine::Graph graph{context, engine::GraphOptions{true}};
  engine::TensorId x;
  layers::SoftmaxCrossEntropy* loss = nullptr;
  reference::Tensor in, w, b;
  std::vector<int32_t> labels;

  Head(int n, int features, int classes, float smoothing, std::optional<tag> layout) {
    x = graph.input({n, features, 1, 1});
    engine::TensorId src = layout ? graph.add<testing::Relayout>("relayout", {x}, *layout) : x;
    engine::TensorId logits =
        graph.add<layers::Linear>("fc", {src}, {.in_features = features, .out_features = classes});
    graph.add<layers::SoftmaxCrossEntropy>("loss", {logits}, {.label_smoothing = smoothing});
    loss = &graph.layer<layers::SoftmaxCrossEntropy>("loss");
    graph.plan();
    in = reference::make_tensor({n, features});
    w = reference::make_tensor({classes, features});
    b = reference::make_tensor({classes});
    reference::fill_random(in, 1, -2.f, 2.f);
    reference::fill_random(w, 2);
    reference::fill_random(b, 3);
    for (int i = 0; i < n; ++i) labels.push_back((i * 7 + 3) % classes);
  }
  double run() {
    testing::set_weight(testing::parameter(graph, "fc.weight"), w, context);
    testing::set_weight(testing::parameter(graph, "fc.bias"), b, context);
    graph.forward(engine::Mode::train, in.data.data(), labels.data());
    return loss->loss();
  }
};

void check_head(int n, int features, int classes, float smoothing, std::optional<tag> layout) {
  Head h(n, features, classes, smoothing, layout);
  const double got = h.run();
  h.graph.backward();
  const reference::Tensor logits = reference::linear_forward(h.in, h.w, &h.b);
  const std::vector<int64_t> labels(h.labels.begin(), h.labels.end());
  const auto ce = reference::softmax_cross_entropy(logits, labels, smoothing);
  CHECK_MESSAGE(std::abs(got - ce.loss) <= 1e-5 * std::max(1.0, std::abs(ce.loss)),
                "loss " << got << " vs reference " << ce.loss);
  const auto lin = reference::linear_backward(ce.diff_logits, h.in, h.w);
  const reference::Tensor dw = testing::grad_of(testing::parameter(h.graph, "fc.weight"), h.context);
  const reference::Tensor db = testing::grad_of(testing::parameter(h.graph, "fc.bias"), h.context);
  reference::Tensor dx = testing::download(h.graph.diff(h.x), h.context);
  dx.dims = {n, features};
  const auto cw = expect_close(dw, lin.diff_weights, 1e-6, 1e-4);
  CHECK_MESSAGE(cw.ok, "diff_weights: " << cw.message);
  const auto cb = expect_close(db, lin.diff_bias, 1e-6, 1e-4);
  CHECK_MESSAGE(cb.ok, "diff_bias: " << cb.message);
  const auto cx = expect_close(dx, lin.diff_src, 1e-6, 1e-4);
  CHECK_MESSAGE(cx.ok, "diff_src: " << cx.message);
  reference::GradCheckOptions o;
  o.samples = 16;
  o.step = 1e-2;
  o.atol = 1e-4;
  const auto fw = reference::check_gradient([&] { return h.run(); }, h.w, dw, o);
  CHECK_MESSAGE(fw.ok, "weights vs finite differences: " << fw.message);
  const auto fx = reference::check_gradient([&] { return h.run(); }, h.in, dx, o);
  CHECK_MESSAGE(fx.ok, "input vs finite differences: " << fx.message);
}

}  // namespace

TEST_CASE("linear + softmax cross-entropy, 20 features blocked, 10 classes, batch 3") {
  check_head(3, 20, 10, 0.f, tag::nChw16c);
}

TEST_CASE("linear + softmax cross-entropy with label smoothing 0.1, batch 1, plain") {
  check_head(1, 7, 5, 0.1f, std::nullopt);
}

TEST_CASE("softmax cross-entropy rejects a label out of range") {
  Head h(2, 4, 3, 0.f, std::nullopt);
  h.labels[1] = 3;
  try {
    h.run();
    FAIL("a label of 3 with 3 classes must throw");
  } catch (const Error& e) {
    CHECK_MESSAGE(std::string(e.what()).find("label 3 of sample 1") != std::string::npos, e.what());
  }
}

TEST_CASE("linear refuses a bf16 input, naming the layer and the conversion it needs") {
  engine::Context context;
  engine::Graph graph(context);
  engine::TensorId x = graph.input({2, 16, 1, 1});
  engine::TensorId h = graph.add<testing::Relayout>("relayout", {x}, {tag::nChw16c, dnnl::memory::data_type::bf16});
  graph.add<layers::Linear>("fc", {h}, {.in_features = 16, .out_features = 3});
  CHECK_THROWS_WITH_AS(graph.plan(), doctest::Contains("linear fc: runs in f32; convert its input first"), Error);
}
