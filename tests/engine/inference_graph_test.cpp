// Graphs planned for inference (GraphOptions::inference): eval-mode forwards without labels, batch
// norm at one value per channel, and training calls refused with an error that says why.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/context.hpp"
#include "engine/error.hpp"
#include "layers/resnet.hpp"

using namespace dnntrain;

namespace {

layers::ResNetConfig resnet18_32px(int batch) {
  layers::ResNetConfig c;
  c.model = "resnet18";
  c.classes = 10;
  c.image_size = 32;
  c.batch = batch;
  return c;
}

}  // namespace

TEST_CASE("ResNet-18 at 32 px and batch 1 is refused for training and planned for inference") {
  engine::Context context;
  CHECK_THROWS_WITH_AS(layers::Model(context, resnet18_32px(1)),
                       doctest::Contains("training needs more than one value per channel"), Error);
  layers::Model model(context, resnet18_32px(1), {.inference = true});
  model.graph().initialize(1);
  const std::vector<float> x(3 * 32 * 32, 0.5f);
  model.graph().forward(engine::Mode::eval, x.data(), nullptr);  // no labels
  const float* lp = model.loss().log_probs();
  double sum = 0;
  for (int k = 0; k < 10; ++k) sum += std::exp(static_cast<double>(lp[k]));
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(std::isnan(model.loss().loss()));  // no labels, no loss
  CHECK_THROWS_WITH_AS(model.graph().forward(engine::Mode::train, x.data(), nullptr),
                       doctest::Contains("planned for inference"), Error);
  CHECK_THROWS_WITH_AS(model.graph().backward(), doctest::Contains("planned for inference"), Error);
}

TEST_CASE("a training forward still needs labels") {
  engine::Context context;
  layers::Model model(context, resnet18_32px(2));
  model.graph().initialize(1);
  const std::vector<float> x(2 * 3 * 32 * 32, 0.5f);
  CHECK_THROWS_WITH_AS(model.graph().forward(engine::Mode::train, x.data(), nullptr),
                       doctest::Contains("no labels given for a training batch"), Error);
}
