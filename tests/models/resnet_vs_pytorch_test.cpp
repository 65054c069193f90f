// One training step of a CIFAR ResNet-20 against PyTorch: the same weights and batch give the same
// loss, parameter gradients and BN running statistics as tests/fixtures/make_resnet20_fixture.py.
#include <doctest/doctest.h>

#include <cstring>

#include "engine/checkpoint/safetensors.hpp"
#include "engine/context.hpp"
#include "layers/resnet.hpp"
#include "tests/reference/compare.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/tensor_values.hpp"

using namespace dnntrain;
using testing::values;

TEST_CASE("resnet20 training step matches PyTorch: loss, every gradient, running statistics") {
  const auto file = engine::Safetensors::read(DNNTRAIN_FIXTURES_DIR "/resnet20_step.safetensors");
  engine::Context context;
  layers::ResNetConfig c;
  c.model = "resnet20";
  c.classes = 5;
  c.in_channels = 1;
  c.image_size = 8;
  c.batch = 3;
  c.label_smoothing = 0.1f;
  layers::Model model(context, c);
  engine::Graph& g = model.graph();
  g.initialize(1);
  for (engine::Parameter* p : g.parameters())
    testing::set_weight(*p, reference::make_tensor(p->shape, values<float>(file, "initial." + p->name)), context);
  std::vector<float> x = values<float>(file, "input");
  std::vector<int32_t> labels;
  for (int64_t y : values<int64_t>(file, "labels")) labels.push_back(static_cast<int32_t>(y));

  g.forward(engine::Mode::train, x.data(), labels.data());
  const double want_loss = values<float>(file, "loss")[0];
  CHECK_MESSAGE(std::abs(model.loss().loss() - want_loss) < 1e-5, "loss " << model.loss().loss() << " vs PyTorch " << want_loss);
  g.backward();

  size_t compared = 0;
  for (engine::Parameter* p : g.parameters()) {
    const std::vector<float> want = values<float>(file, "grad." + p->name);
    const reference::Tensor got = testing::grad_of(*p, context);
    // Gradients of deep layers are sums of many float terms: compare with a tolerance relative
    // to the tensor's largest gradient.
    float scale = 0;
    for (float v : want) scale = std::max(scale, std::abs(v));
    const auto r = reference::expect_close(got.data.data(), want.data(), want.size(), 1e-4 * scale + 1e-7, 1e-3);
    CHECK_MESSAGE(r.ok, p->name << ": " << r.message);
    ++compared;
  }
  CHECK(compared == 65);
  for (engine::Buffer* b : g.buffers()) {
    if (b->type == engine::Buffer::Type::i64) {
      CHECK_MESSAGE(b->i64() == values<int64_t>(file, "after." + b->name)[0], b->name);
      continue;
    }
    const std::vector<float> want = values<float>(file, "after." + b->name);
    const auto r = reference::expect_close(b->f32().data(), want.data(), want.size(), 1e-5, 1e-4);
    CHECK_MESSAGE(r.ok, b->name << ": " << r.message);
  }
}
