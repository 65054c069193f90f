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
  auto loss = [&] {
    for (auto& [p, value] : plain) testing::set_weight(*p, value, context);
    g.forward(engine::Mode::train, x.data.data(), labels.data());
    return model.loss().loss();
  };
  loss();
  g.backward();

  reference::GradCheckOptions o;
  o.samples = samples_per_tensor;
  o.step = 5e-3;
  o.atol = 3e-4;
  o.rtol = 5e-2;
  o.kink_factor = 0.05;
  o.max_skipped_fraction = 1.0;  // a sample at a ReLU or max-pool kink is skipped, not failed
  size_t checked = 0, skipped = 0;
  for (auto& [p, value] : plain) {
    const reference::Tensor analytic = testing::grad_of(*p, context);
    const auto r = reference::check_gradient(loss, value, analytic, o);
    CHECK_MESSAGE(r.ok, p->name << ": " << r.message);
    checked += r.checked;
    skipped += r.skipped;
  }
  const reference::Tensor dx = testing::download(g.diff(model.input()), context);
  o.samples = 16;
  const auto rx = reference::check_gradient(loss, x, dx, o);
  CHECK_MESSAGE(rx.ok, "input: " << rx.message);
  MESSAGE(c.model << ": " << checked << " parameter samples checked, " << skipped << " skipped at kinks");
  CHECK(skipped * 4 < checked);  // the check must not pass by skipping
}

}  // namespace

TEST_CASE("resnet20 (CIFAR family, BasicBlock, projection shortcuts) gradients vs finite differences") {
  layers::ResNetConfig c;
  c.model = "resnet20";
  c.classes = 5;
  c.in_channels = 1;
  c.image_size = 8;
  c.batch = 3;
  check_model(c, 3);
}

TEST_CASE("resnet18 (ImageNet stem with max pool) gradients vs finite differences") {
  layers::ResNetConfig c;
  c.model = "resnet18";
  c.classes = 4;
  c.image_size = 64;
  c.batch = 2;
  check_model(c, 2);
}

TEST_CASE("resnet50 (Bottleneck, CIFAR stem) gradients vs finite differences") {
  layers::ResNetConfig c;
  c.model = "resnet50";
  c.classes = 3;
  c.image_size = 16;
  c.batch = 2;
  c.stem = layers::Stem::cifar;
  check_model(c, 2);
}
