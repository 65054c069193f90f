// Whole tiny ResNets of each block kind and stem, with downsample and fan-out: the gradient of a
// sample of every parameter tensor, and of the input, against central finite differences of the
// real loss through the real graph.
#include <doctest/doctest.h>

#include "engine/context.hpp"
#include "layers/resnet.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/support/harness.hpp"

using namespace dnntrain;

namespace {

void check_model(layers::ResNetConfig c, size_t samples_per_tensor) {
  // Direct convolutions: Winograd's rounding noise (~1e-6 relative) reads as kinks to a float32
  // finite difference. Winograd is checked in conv2d_test.cpp and by the PyTorch parity test.
  c.conv_algorithm = layers::Conv2dOptions::Algorithm::direct;
  engine::Context context;
  layers::Model model(context, c, engine::GraphOptions{true});
  engine::Graph& g = model.graph();
  g.initialize(5);
  reference::Tensor x = reference::make_tensor({c.batch, c.in_channels, c.image_size, c.image_size});
  reference::fill_random(x, 6, -1.f, 1.f);
  std::vector<int32_t> labels;
  for (int i = 0; i < c.batch; ++i) labels.push_back((3 * i + 1) % c.classes);

  std::vector<std::pair<engine::Parameter*, reference::Tensor>> plain;
  for (engine::Parameter* p : g.parameters()) plain.emplace_back(p, testing::weight_of(*p, context));
  std::pair<engine::Parameter*, reference::Tensor>* perturbed = nullptr;  // the one under check
  auto loss = [&] {
    if (perturbed) testing::set_weight(*perturbed->first, perturbed->second, context);
    g.forward(engine::Mode::train, x.data.data(), labels.data());
    return model.loss().loss();
  };
  loss();
  g.backward();
  // Activation gradients live in memory the next forward reuses: copy the input's now.
  const reference::Tensor dx = testing::download(g.diff(model.input()), context);

  reference::GradCheckOptions o;
  o.samples = samples_per_tensor;
  o.step = 1e-3;
  o.atol = 5e-4;
  o.rtol = 5e-2;
  o.kink_factor = 0.02;
  // Deep ReLU networks put kinks everywhere: a step of a BN shift moves a whole channel, so a
  // sample whose one-sided slopes disagree is skipped (never counted as passed). No checked
  // sample may fail, and most must be checked, so the test cannot pass by skipping.
  o.max_skipped_fraction = 1.0;
  size_t checked = 0, skipped = 0, tensors_checked = 0;
  for (auto& entry : plain) {
    perturbed = &entry;
    const reference::Tensor analytic = testing::grad_of(*entry.first, context);
    const auto r = reference::check_gradient(loss, entry.second, analytic, o);
    testing::set_weight(*entry.first, entry.second, context);  // the checker restored the plain value
    CHECK_MESSAGE(r.failed == 0, entry.first->name << ": " << r.message);
    checked += r.checked;
    skipped += r.skipped;
    tensors_checked += r.checked > 0;
  }
  perturbed = nullptr;
  o.samples = 32;
  const auto rx = reference::check_gradient(loss, x, dx, o);
  CHECK_MESSAGE(rx.failed == 0, "input: " << rx.message);
  CHECK_MESSAGE(rx.checked >= 12, "input: " << rx.message);
  MESSAGE(c.model << ": input " << rx.checked << " of " << o.samples << " samples checked; " << checked
                  << " parameter samples checked, " << skipped << " skipped at kinks; "
                  << tensors_checked << " of " << plain.size() << " tensors checked");
  CHECK(skipped < checked);
  CHECK(tensors_checked * 5 >= plain.size() * 4);
}

}  // namespace

TEST_CASE("resnet20 (CIFAR family, BasicBlock, projection shortcuts) gradients vs finite differences") {
  layers::ResNetConfig c;
  c.model = "resnet20";
  c.classes = 5;
  c.in_channels = 1;
  c.image_size = 8;
  c.batch = 3;
  check_model(c, 4);
}

// Deeper models have too many ReLU and max-pool kinks for float32 finite differences; the same
// block kinds and stems with one block per stage keep every structural feature (downsample,
// fan-out, both stems) with few enough kinks to check. Full depth is checked against PyTorch.
TEST_CASE("BasicBlock ResNet with the ImageNet stem (7x7/2 conv, max pool), one block per stage") {
  layers::ResNetConfig c;
  c.model = "resnet18";
  c.stage_blocks = {1, 1, 1, 1};
  c.classes = 4;
  c.image_size = 64;
  c.batch = 4;
  check_model(c, 3);
}

TEST_CASE("Bottleneck ResNet with the CIFAR stem, one block per stage") {
  layers::ResNetConfig c;
  c.model = "resnet50";
  c.stage_blocks = {1, 1, 1, 1};
  c.classes = 3;
  c.image_size = 32;
  c.batch = 4;
  c.stem = layers::Stem::cifar;
  check_model(c, 3);
}
