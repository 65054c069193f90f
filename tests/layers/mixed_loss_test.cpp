// The loss of a mixed batch (MixUp/CutMix: two labels per row and lambda) with and without label
// smoothing, against PyTorch's CrossEntropyLoss on the soft target in float64
// (tests/fixtures/augment_mix.safetensors) and against finite differences. The logits pass through
// an identity Linear, so the graph input's gradient is d(loss)/d(logits).
#include <doctest/doctest.h>

#include <cstring>

#include "engine/checkpoint/safetensors.hpp"
#include "layers/linear.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/tensor_values.hpp"

using namespace dnntrain;

namespace {

using testing::values;

struct MixedHead {
  engine::Context context;
  engine::Graph graph{context, engine::GraphOptions{true}};
  engine::TensorId x;
  layers::SoftmaxCrossEntropy* loss = nullptr;
  reference::Tensor in;
  std::vector<int32_t> labels, mixed;
  double lambda = 1;

  MixedHead(int n, int classes, float smoothing) {
    x = graph.input({n, classes, 1, 1});
    const engine::TensorId logits =
        graph.add<layers::Linear>("fc", {x}, {.in_features = classes, .out_features = classes});
    graph.add<layers::SoftmaxCrossEntropy>("loss", {logits}, {.label_smoothing = smoothing});
    loss = &graph.layer<layers::SoftmaxCrossEntropy>("loss");
    graph.plan();
    reference::Tensor w = reference::make_tensor({classes, classes}), b = reference::make_tensor({classes});
    for (int k = 0; k < classes; ++k) w.data[static_cast<size_t>(k * classes + k)] = 1.f;
    testing::set_weight(testing::parameter(graph, "fc.weight"), w, context);
    testing::set_weight(testing::parameter(graph, "fc.bias"), b, context);
    in = reference::make_tensor({n, classes});
  }
  double run() {
    graph.forward(engine::Mode::train, in.data.data(), labels.data(), mixed.data(), lambda);
    return loss->loss();
  }
};

}  // namespace

TEST_CASE("mixed-label loss and gradient equal PyTorch's soft-target cross-entropy, and finite differences") {
  const auto st = engine::Safetensors::read(DNNTRAIN_FIXTURES_DIR "/augment_mix.safetensors");
  const int n = 5, classes = 7;
  const auto logits = values<float>(st, "logits");
  const auto labels = values<int32_t>(st, "labels");
  for (const std::string kind : {"mixup", "cutmix"})
    for (const int smoothing : {0, 1}) {
      CAPTURE(kind);
      CAPTURE(smoothing);
      MixedHead h(n, classes, 0.1f * smoothing);
      h.in.data = logits;
      h.labels = labels;
      for (int i = 0; i < n; ++i) h.mixed.push_back(labels[(i + n - 1) % n]);
      h.lambda = values<double>(st, kind == "mixup" ? "mixup.lambda" : "cutmix.lambda_adjusted")[0];
      const std::string key = "loss." + kind + "." + std::to_string(smoothing);
      const double want = values<double>(st, key)[0];
      const double got = h.run();
      CHECK_MESSAGE(std::abs(got - want) <= 1e-6 * std::abs(want), "loss " << got << " vs PyTorch " << want);
      h.graph.backward();
      reference::Tensor dx = testing::download(h.graph.diff(h.x), h.context);
      const auto grad = values<double>(st, key + ".grad");
      double worst = 0;
      for (size_t i = 0; i < grad.size(); ++i) worst = std::max(worst, std::abs(dx.data[i] - grad[i]));
      CHECK_MESSAGE(worst <= 1e-7, "gradient: max difference " << worst << " from PyTorch's");
      reference::GradCheckOptions o;
      o.samples = 20;
      o.step = 1e-2;
      o.atol = 1e-4;
      dx.dims = {n, classes};
      const auto fd = reference::check_gradient([&] { return h.run(); }, h.in, dx, o);
      CHECK_MESSAGE(fd.ok, "gradient vs finite differences: " << fd.message);
    }
}

TEST_CASE(
    "an unmixed batch given as mixed with lambda 1 and any second label has the plain loss, bit for bit") {
  MixedHead h(3, 4, 0.1f);
  h.in.data = {0.5f, -1.f, 2.f, 0.25f, 1.f, 1.f, -3.f, 0.f, 0.1f, 0.2f, 0.3f, 0.4f};
  h.labels = {2, 0, 3};
  h.mixed = h.labels;
  const double mixed = h.run();
  h.graph.backward();
  const reference::Tensor dx_mixed = testing::download(h.graph.diff(h.x), h.context);
  h.graph.forward(engine::Mode::train, h.in.data.data(), h.labels.data());
  const double plain = h.loss->loss();
  h.graph.backward();
  const reference::Tensor dx_plain = testing::download(h.graph.diff(h.x), h.context);
  CHECK(mixed == plain);
  CHECK(dx_mixed.data == dx_plain.data);
}
