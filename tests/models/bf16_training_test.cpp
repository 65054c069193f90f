// bf16 training against f32 computation of the same steps: ResNet-20 on the first 50 batches of
// Debian's Fashion-MNIST, SGD with momentum. Each step's bf16 loss must lie within a bound derived
// from bf16's 8-bit significand of the f32 loss from the same weights and batch (below).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "engine/bf16.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet.hpp"
#include "tests/support/harness.hpp"

using namespace dnntrain;

namespace {

// The recipe's learning rate.
constexpr int kSteps = 50, kBatch = 128;
constexpr double kLr = 0.1;

struct Run {
  using Layout = layers::ResNetConfig::Bf16Layout;
  explicit Run(engine::Precision precision, Layout layout = Layout::automatic)
      : model(context, config(precision, layout)) {
    model.graph().initialize(0);
    engine::OptimizerOptions o;
    o.momentum = 0.9;
    o.weight_decay = 5e-4;
    optimizer = std::make_unique<engine::Optimizer>(model.graph().parameters(), o);
  }
  static layers::ResNetConfig config(engine::Precision precision, Layout layout) {
    layers::ResNetConfig c;
    c.model = "resnet20";
    c.classes = 10;
    c.in_channels = 1;
    c.image_size = 28;
    c.batch = kBatch;
    c.precision = precision;
    c.bf16_layout = layout;
    return c;
  }
  double forward_backward(const std::vector<float>& images, const std::vector<int32_t>& labels) {
    model.graph().forward(engine::Mode::train, images.data(), labels.data());
    model.graph().backward();
    return model.loss().loss();
  }
  // This run's master weights set to `other`'s (the same model in another precision).
  void copy_weights_from(Run& other) {
    const auto mine = model.graph().parameters(), theirs = other.model.graph().parameters();
    for (size_t i = 0; i < mine.size(); ++i)
      testing::set_weight(*mine[i], testing::weight_of(*theirs[i], other.context), context);
  }
  // Every parameter's weight or gradient, plain, concatenated.
  std::vector<float> plain(bool gradient) {
    std::vector<float> all;
    for (engine::Parameter* p : model.graph().parameters()) {
      const reference::Tensor t = gradient ? testing::grad_of(*p, context) : testing::weight_of(*p, context);
      all.insert(all.end(), t.data.begin(), t.data.end());
    }
    return all;
  }

  engine::Context context;
  layers::Model model;
  std::unique_ptr<engine::Optimizer> optimizer;
};

double norm(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += static_cast<double>(v) * v;
  return std::sqrt(s);
}

double distance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(s);
}

// The bound. bf16 rounds to nearest with unit roundoff u = 2^-8. ResNet-20's forward rounds R = 74
// tensors: the input, 21 convolution outputs, 21 batch-norm outputs, 9 residual sums, the pooled
// features, and the 21 weight tensors it convolves with. Independent roundings add like a random
// walk, so a loss computed in bf16 lies within a relative eps = sqrt(R)·u = 0.034 of the loss
// computed in f32 from the same weights and batch. The test trains in bf16 and, before each of
// the 50 steps, copies the bf16 run's master weights into an f32 model: that f32 model computes
// the same step exactly, and the bf16 loss must stay within eps of it. A bf16 forward that read
// other weights than the master ones (a stale or misplaced working copy), or a layer off by more
// than bf16 rounding, breaks the bound; wrong gradients break the learning check at the end.
// The gradients' own deviation is printed: weight gradients are sums over the batch with heavy
// cancellation, which amplifies bf16's rounding of the activation gradients (step 1: 0.18 of |g|
// here; PyTorch's bf16 autocast gives 0.20 on the same batch, perf/precision/torch_bf16_gradients.py).
// Trains `steps` steps in bf16 with the activations in `layout`, checking each against f32 as above.
void check_steps(Run::Layout layout, int steps) {
  const auto d = data::read_mnist(data::kFashionMnistDefaultPath, data::Split::train);
  const data::Normalization n = data::normalization_for(data::DatasetKind::fashion_mnist, 1);
  // With one input channel nchw and nhwc are the same tensor, and oneDNN's primitive cache would
  // hand a blocked model the first convolution an earlier nhwc model made (output nhwc): empty it.
  const int cache_capacity = dnnl::get_primitive_cache_capacity();
  dnnl::set_primitive_cache_capacity(0);
  dnnl::set_primitive_cache_capacity(cache_capacity);
  Run bf16(engine::Precision::bf16, layout), f32(engine::Precision::f32);
  // The first convolution's output: nhwc is "acdb", the blocked layouts "aBcd16b" and the like.
  const std::string plan = bf16.model.graph().describe();
  const size_t begin = plan.find("\nconv1 ") + 1;
  const std::string conv1 = plan.substr(begin, plan.find('\n', begin) - begin);
  const bool nhwc = conv1.find(" acdb") != std::string::npos;
  MESSAGE("bf16 activations: " << conv1.substr(0, 60));
  CHECK(nhwc == layers::bf16_nhwc(bf16.model.config()));
  if (layout != Run::Layout::automatic) CHECK(nhwc == (layout == Run::Layout::nhwc));
  const double eps = std::sqrt(74.0) * engine::kBf16UnitRoundoff;
  const size_t pixels = 28 * 28;
  std::vector<float> images(kBatch * pixels);
  std::vector<int32_t> labels(kBatch);
  double worst = 0, first_loss = 0, last_loss = 0, worst_gradient = 0;
  for (int step = 0; step < steps; ++step) {
    for (size_t i = 0; i < kBatch; ++i) {
      const size_t sample = static_cast<size_t>(step) * kBatch + i;
      for (size_t k = 0; k < pixels; ++k)
        images[i * pixels + k] = (d->pixels()[sample * pixels + k] / 255.f - n.mean[0]) / n.std[0];
      labels[i] = d->labels()[sample];
    }
    f32.copy_weights_from(bf16);
    const double loss_f32 = f32.forward_backward(images, labels), loss_bf16 = bf16.forward_backward(images, labels);
    const std::vector<float> g = f32.plain(true);
    worst_gradient = std::max(worst_gradient, distance(bf16.plain(true), g) / norm(g));
    const double diff = std::fabs(loss_bf16 - loss_f32);
    worst = std::max(worst, diff / (eps * loss_f32));
    CHECK_MESSAGE(diff <= eps * loss_f32,
                  "step " << step + 1 << ": bf16 loss " << loss_bf16 << ", f32 " << loss_f32
                          << " from the same weights");
    if (step == 0) first_loss = loss_bf16;
    last_loss = loss_bf16;
    bf16.optimizer->step(kLr);
  }
  MESSAGE("largest |L_bf16 - L_f32| / (eps·L_f32): " << worst << "; largest |g_bf16 - g_f32| / |g_f32|: "
                                                      << worst_gradient << "; loss " << first_loss << " -> "
                                                      << last_loss);
  if (steps >= kSteps) CHECK(last_loss < 0.6 * first_loss);  // and it learns
}

bool have_fashion_mnist() {
  if (std::filesystem::exists(std::filesystem::path(data::kFashionMnistDefaultPath) / "train-labels-idx1-ubyte.gz"))
    return true;
  MESSAGE("dataset-fashion-mnist is not installed; skipped");
  return false;
}

}  // namespace

TEST_CASE("bf16 training: each of 50 Fashion-MNIST steps within bf16 rounding of the f32 step") {
  if (!testing::bf16_available() || !have_fashion_mnist()) return;
  check_steps(Run::Layout::automatic, kSteps);
}

// The layout this CPU does not pick by itself (engine::bf16_prefers_nhwc), so that both are
// checked on every machine.
TEST_CASE("bf16 training in the other activation layout: 8 steps within bf16 rounding of the f32 step") {
  if (!testing::bf16_available() || !have_fashion_mnist()) return;
  check_steps(engine::bf16_prefers_nhwc() ? Run::Layout::blocked : Run::Layout::nhwc, 8);
}
