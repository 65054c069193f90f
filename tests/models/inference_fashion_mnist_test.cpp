// The folded inference plan of a briefly trained ResNet-20 against its unfolded eval-mode graph on
// the whole Debian Fashion-MNIST test set: the same top-1 prediction for every image, and logits
// within 1e-5 relative (L2 over the set).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "engine/checkpoint/tensor_io.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet_inference.hpp"

using namespace dnntrain;

namespace {

constexpr int kSteps = 100, kBatch = 64, kEvalBatch = 500;

layers::ResNetConfig resnet20(int batch) {
  layers::ResNetConfig c;
  c.model = "resnet20";
  c.classes = 10;
  c.in_channels = 1;
  c.image_size = 28;
  c.batch = batch;
  return c;
}

// Normalised images [first, first + n) of a split.
std::vector<float> images_of(const data::InMemoryDataset& d, size_t first, size_t n) {
  const data::Normalization norm = data::normalization_for(data::DatasetKind::fashion_mnist, 1);
  const size_t pixels = 28 * 28;
  std::vector<float> x(n * pixels);
  for (size_t i = 0; i < n * pixels; ++i)
    x[i] = (d.pixels()[first * pixels + i] / 255.f - norm.mean[0]) / norm.std[0];
  return x;
}

int argmax(const float* row) { return static_cast<int>(std::max_element(row, row + 10) - row); }

}  // namespace

TEST_CASE(
    "a trained ResNet-20's folded plan predicts every Fashion-MNIST test image as its eval graph does") {
  if (!std::filesystem::exists(std::filesystem::path(data::kFashionMnistDefaultPath) /
                               "t10k-labels-idx1-ubyte.gz")) {
    MESSAGE("dataset-fashion-mnist is not installed; skipped");
    return;
  }
  const auto train = data::read_mnist(data::kFashionMnistDefaultPath, data::Split::train);
  const auto test = data::read_mnist(data::kFashionMnistDefaultPath, data::Split::test);
  engine::Context context(2);
  layers::Model trained(context, resnet20(kBatch));
  trained.graph().initialize(0);
  engine::OptimizerOptions o;
  o.momentum = 0.9;
  o.weight_decay = 5e-4;
  engine::Optimizer optimizer(trained.graph().parameters(), o);
  std::vector<int32_t> labels(kBatch);
  for (int step = 0; step < kSteps; ++step) {
    const size_t first = static_cast<size_t>(step) * kBatch;
    const std::vector<float> x = images_of(*train, first, kBatch);
    for (int i = 0; i < kBatch; ++i) labels[i] = train->labels()[first + i];
    trained.graph().forward(engine::Mode::train, x.data(), labels.data());
    trained.graph().backward();
    optimizer.step(0.05);
  }
  const layers::OwnedState state = layers::state_of(trained.graph());
  layers::Model unfolded(context, resnet20(kEvalBatch), {.inference = true});
  unfolded.graph().initialize(0);
  {  // the trained state into the unfolded eval graph, through the same plain copies
    for (engine::Parameter* p : unfolded.graph().parameters()) {
      const std::span<const float> v = state.tensors.at(p->name);
      const auto bytes = std::as_bytes(v);
      engine::from_plain(*p, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, p->weight);
    }
    for (engine::Buffer* b : unfolded.graph().buffers())
      if (b->type == engine::Buffer::Type::f32)
        std::ranges::copy(state.tensors.at(b->name), b->f32().begin());
  }
  const auto plan = layers::plan_inference(context, resnet20(kEvalBatch), state.tensors);
  const size_t n = static_cast<size_t>(test->size());
  REQUIRE(n % kEvalBatch == 0);
  int differ = 0, correct = 0;
  double diff = 0, norm = 0;
  for (size_t first = 0; first < n; first += kEvalBatch) {
    const std::vector<float> x = images_of(*test, first, kEvalBatch);
    unfolded.graph().forward(engine::Mode::eval, x.data(), nullptr);
    const float* want =
        static_cast<const float*>(unfolded.graph().value(unfolded.logits()).get_data_handle());
    plan->forward(x.data());
    const float* got = plan->logits();
    for (int i = 0; i < kEvalBatch; ++i) {
      differ += argmax(got + i * 10) != argmax(want + i * 10);
      correct += argmax(got + i * 10) == test->labels()[first + i];
    }
    for (int k = 0; k < kEvalBatch * 10; ++k) {
      diff += (static_cast<double>(got[k]) - want[k]) * (static_cast<double>(got[k]) - want[k]);
      norm += static_cast<double>(want[k]) * want[k];
    }
  }
  MESSAGE("top-1 " << 100.0 * correct / n << "% after " << kSteps << " steps; relative L2 of the logits "
                   << std::sqrt(diff / norm) << "; predictions that differ: " << differ);
  CHECK(differ == 0);
  CHECK(std::sqrt(diff / norm) <= 1e-5);
  CHECK(correct > 0.5 * n);  // it was trained (60 % after 100 steps here)
}
