// The engine's training run against PyTorch float64 (make_parity_fixtures.py): same initial state,
// same batches, same optimizer. Our update (final - initial state over every float tensor of the
// state dict) must be within 3x PyTorch float32's own error on the case, or within 1e-4; eval-mode
// logits after the run likewise.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/context.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/tensor_values.hpp"

using namespace dnntrain;
using testing::values;

namespace {

// Relative L2 distance of `got` from `want`, accumulated over several tensors.
struct RelativeError {
  double num = 0, den = 0;
  std::vector<std::pair<double, std::string>> worst;  // per tensor
  void add(const std::string& name, const std::vector<double>& got, const std::vector<float>& want) {
    double n = 0, d = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      n += (got[i] - want[i]) * (got[i] - want[i]);
      d += static_cast<double>(want[i]) * want[i];
    }
    num += n;
    den += d;
    if (d > 0) worst.emplace_back(std::sqrt(n / d), name);
  }
  double value() const { return std::sqrt(num / den); }
  std::string report() const {
    auto w = worst;
    std::sort(w.rbegin(), w.rend());
    std::string out;
    for (size_t i = 0; i < std::min<size_t>(5, w.size()); ++i) out += "  " + w[i].second + " " + std::to_string(w[i].first) + "\n";
    return out;
  }
};

engine::OptimizerOptions optimizer_of(const std::map<std::string, std::string>& m) {
  engine::OptimizerOptions o;
  o.kind = engine::optimizer_kind_from_name(m.at("opt"));
  o.weight_decay = std::stod(m.at("wd"));
  if (m.count("momentum")) o.momentum = std::stod(m.at("momentum"));
  o.nesterov = m.count("nesterov") && m.at("nesterov") == "True";
  return o;
}

void check_case(const std::string& name) {
  const std::string dir = DNNTRAIN_PARITY_DIR;
  const auto run = engine::Safetensors::read(dir + "/" + name + ".run.safetensors");
  const auto init = engine::Safetensors::read(dir + "/" + name + ".init.safetensors");
  const auto& meta = run.metadata();
  const int steps = std::stoi(meta.at("steps"));

  engine::Context context;
  layers::ResNetConfig c;
  c.model = meta.at("model") == "bottleneck2222" ? "resnet50" : meta.at("model");
  if (meta.at("model") == "bottleneck2222") c.stage_blocks = {2, 2, 2, 2};
  c.stem = c.model == "resnet20" ? layers::Stem::cifar : layers::Stem::imagenet;
  c.classes = 10;
  c.in_channels = 3;
  c.image_size = std::stoi(meta.at("image_size"));
  c.batch = std::stoi(meta.at("batch"));
  layers::Model model(context, c);
  engine::Graph& g = model.graph();
  g.initialize(0);
  engine::load_weights(dir + "/" + name + ".init.safetensors", g.parameters(), g.buffers());
  engine::Optimizer optimizer(g.parameters(), optimizer_of(meta));
  const double lr = std::stod(meta.at("lr"));
  for (int s = 0; s < steps; ++s) {
    const std::vector<float> x = values<float>(run, "x." + std::to_string(s));
    std::vector<int32_t> y;
    for (int64_t label : values<int64_t>(run, "y." + std::to_string(s))) y.push_back(static_cast<int32_t>(label));
    g.forward(engine::Mode::train, x.data(), y.data());
    g.backward();
    optimizer.step(lr);
  }

  RelativeError update;
  for (engine::Parameter* p : g.parameters()) {
    const reference::Tensor now = testing::weight_of(*p, context);
    const std::vector<float> before = values<float>(init, p->name);
    std::vector<double> u(before.size());
    for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<double>(now.data[i]) - before[i];
    update.add(p->name, u, values<float>(run, "update64." + p->name));
  }
  for (engine::Buffer* b : g.buffers()) {
    if (b->type != engine::Buffer::Type::f32) continue;
    const std::vector<float> before = values<float>(init, b->name);
    std::vector<double> u(before.size());
    for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<double>(b->f32()[i]) - before[i];
    update.add(b->name, u, values<float>(run, "update64." + b->name));
  }
  const double torch32 = std::stod(meta.at("torch32_update_error"));
  // Past 1e-2 float32 itself is lost: such a case measures chaos, not exactness.
  REQUIRE_MESSAGE(torch32 < 1e-2, name << ": PyTorch float32 is " << torch32 << " from float64; choose a calmer case");
  const double bar = std::max(3 * torch32, 1e-4);
  MESSAGE(name << ": update error " << update.value() << " (PyTorch float32 " << torch32 << ", bar " << bar << ")");
  CHECK_MESSAGE(update.value() <= bar, name << ": update error " << update.value() << " > " << bar
                                            << "; worst tensors:\n" << update.report());

  const std::vector<float> eval_x = values<float>(run, "eval_x");
  const std::vector<int32_t> no_labels(c.batch, 0);
  g.forward(engine::Mode::eval, eval_x.data(), no_labels.data());
  const reference::Tensor logits = testing::download(g.value(model.logits()), context);
  RelativeError eval;
  eval.add("logits", std::vector<double>(logits.data.begin(), logits.data.end()), values<float>(run, "eval_logits64"));
  const double torch32_eval = std::stod(meta.at("torch32_eval_error"));
  if (torch32_eval >= 1e-2) {
    MESSAGE(name << ": eval logits not compared: PyTorch float32 is " << torch32_eval << " from float64");
    return;
  }
  const double eval_bar = std::max(3 * torch32_eval, 1e-4);
  MESSAGE(name << ": eval logits error " << eval.value() << " (PyTorch float32 " << torch32_eval << ")");
  CHECK_MESSAGE(eval.value() <= eval_bar, name << ": eval logits error " << eval.value() << " > " << eval_bar);
}

}  // namespace

// The exactness measurements' own cases.
TEST_CASE("float64 parity: ResNet-20, 3 SGD steps from the init") { check_case("resnet20_init_sgd3"); }
TEST_CASE("float64 parity: ResNet-18, 3 SGD steps from the init") { check_case("resnet18_init_sgd3"); }
TEST_CASE("float64 parity: ResNet-18, 1 SGD step, BN weights in [0.5, 1.5]") { check_case("resnet18_bnuniform_sgd1"); }
TEST_CASE("float64 parity: ResNet-20, 1 SGD step, BN weights 1 + 0.1 N(0, 1)") { check_case("resnet20_bnnormal_sgd1"); }
// Every optimizer and both block kinds from a moved state (BN affine and running statistics).
TEST_CASE("float64 parity: ResNet-20, 4 Nesterov steps from a moved state") { check_case("resnet20_state_nesterov4"); }
TEST_CASE("float64 parity: ResNet-18, 3 Adam steps from a moved state") { check_case("resnet18_state_adam3"); }
TEST_CASE("float64 parity: Bottleneck ResNet (2 blocks per stage), 3 AdamW steps from a moved state") {
  check_case("bottleneck_state_adamw3");
}
TEST_CASE("float64 parity: Bottleneck ResNet (2 blocks per stage), 1 SGD step, BN weights in [0.5, 1.5]") {
  check_case("bottleneck_bnuniform_sgd1");
}
