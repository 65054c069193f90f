// The folded inference plan (layers/resnet_inference.cpp) against the unfolded eval-mode graph of the
// same state: ResNet-20, -18 and -50 with random batch-norm statistics, gamma and beta, so that the
// folding has something to fold. f32 within 1e-5 relative (L2 over the batch); bf16 within the bound
// derived in docs/numerics.md ("Inference plans").
#include "layers/resnet_inference.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <random>

#include "engine/bf16.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/checkpoint/tensor_io.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/temp_dir.hpp"
#include "tests/support/harness.hpp"

using namespace dnntrain;

namespace {

layers::ResNetConfig config(const char* model, int in_channels, int image_size, int batch,
                            engine::Precision precision = engine::Precision::f32) {
  layers::ResNetConfig c;
  c.model = model;
  c.classes = 10;
  c.in_channels = in_channels;
  c.image_size = image_size;
  c.batch = batch;
  c.precision = precision;
  return c;
}

// gamma in [0.5, 1.5], beta and running_mean N(0, 0.2²), running_var in [0.5, 2]: far from the
// identity that a fresh model's batch norms compute in eval mode.
void randomize_batch_norms(engine::Graph& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> gamma(0.5f, 1.5f), variance(0.5f, 2.f);
  std::normal_distribution<float> shift(0.f, 0.2f);
  for (engine::Parameter* p : g.parameters()) {
    if (p->role != engine::Parameter::Role::norm) continue;
    std::vector<float> v(p->elements());
    const bool weight = p->name.ends_with(".weight");
    for (float& x : v) x = weight ? gamma(rng) : shift(rng);
    const auto bytes = std::as_bytes(std::span(v));
    engine::from_plain(*p, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, p->weight);
    p->write_working_copies();
  }
  for (engine::Buffer* b : g.buffers()) {
    if (b->type != engine::Buffer::Type::f32) continue;
    const bool var = b->name.ends_with("running_var");
    for (float& x : b->f32()) x = var ? variance(rng) : shift(rng);
  }
}

std::vector<float> random_images(const layers::ResNetConfig& c, uint32_t seed) {
  std::vector<float> x(static_cast<size_t>(c.batch) * c.in_channels * c.image_size * c.image_size);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(rng);
  return x;
}

std::vector<float> unfolded_logits(layers::Model& m, const std::vector<float>& images) {
  m.graph().forward(engine::Mode::eval, images.data(), nullptr);
  const float* l = static_cast<const float*>(m.graph().value(m.logits()).get_data_handle());
  return {l, l + static_cast<size_t>(m.config().batch) * m.config().classes};
}

double relative_l2(const float* got, const std::vector<float>& want) {
  double d = 0, n = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    d += (static_cast<double>(got[i]) - want[i]) * (static_cast<double>(got[i]) - want[i]);
    n += static_cast<double>(want[i]) * want[i];
  }
  return std::sqrt(d / n);
}

// The folded plan's logits against the unfolded f32 graph's, both from one random state.
double folded_error(const layers::ResNetConfig& c, engine::Precision plan_precision,
                    std::optional<layers::MicroBatching> micro = layers::MicroBatching{}) {
  engine::Context context(2);
  layers::Model model(context, c, {.inference = true});
  model.graph().initialize(3);
  randomize_batch_norms(model.graph(), 4);
  const std::vector<float> x = random_images(c, 5);
  const std::vector<float> want = unfolded_logits(model, x);
  const layers::OwnedState state = layers::state_of(model.graph());
  layers::ResNetConfig folded = c;
  folded.precision = plan_precision;
  const auto plan = layers::plan_inference(context, folded, state.tensors, engine::ResidualFusion::sum, micro);
  CHECK(plan->micro_batch() == (micro && micro->images > 0 ? micro->images : c.batch));
  plan->forward(x.data());
  return relative_l2(plan->logits(), want);
}

}  // namespace

TEST_CASE("f32: the folded plan's logits are within 1e-5 of the unfolded eval graph's") {
  for (const auto& c : {config("resnet20", 1, 28, 8), config("resnet18", 3, 32, 4),
                        config("resnet18", 3, 64, 1), config("resnet50", 3, 64, 2)}) {
    const double err = folded_error(c, engine::Precision::f32);
    MESSAGE(c.model << " " << c.image_size << "px batch " << c.batch << ": relative L2 " << err);
    CHECK(err <= 1e-5);
  }
}

// Each convolution of a bf16 plan rounds its weights and its output once (its sum and ReLU happen
// before the rounding, in f32), and the images are rounded once: R = 2·convolutions + 1 roundings
// of u = 2^-8, adding like a random walk (docs/numerics.md, "Inference plans").
TEST_CASE("bf16: the folded plan's logits are within sqrt(R)·u of the unfolded f32 graph's") {
  if (!testing::bf16_available()) return;
  const struct {
    layers::ResNetConfig c;
    int convolutions;
  } cases[] = {{config("resnet20", 1, 28, 8), 19 + 2},
               {config("resnet18", 3, 32, 4), 17 + 3},
               {config("resnet50", 3, 64, 2), 49 + 4}};
  for (const auto& k : cases) {
    const double bound = std::sqrt(2.0 * k.convolutions + 1) * engine::kBf16UnitRoundoff;
    const double err = folded_error(k.c, engine::Precision::bf16);
    MESSAGE(k.c.model << " bf16: relative L2 " << err << ", bound " << bound);
    CHECK(err <= bound);
  }
}

// The stem and the first stages run per micro-batch, each writing its slice of the whole batch's
// tensor that the later stages read: every image must reach its own row of logits.
TEST_CASE("micro-batched plans give the unfolded eval graph's logits for every image") {
  const struct {
    layers::ResNetConfig c;
    layers::MicroBatching micro;
  } cases[] = {{config("resnet18", 3, 64, 4), {1, 1}},  {config("resnet18", 3, 64, 4), {2, 2}},
               {config("resnet50", 3, 64, 4), {2, 2}},  {config("resnet50", 3, 64, 6), {3, 0}},
               {config("resnet20", 1, 28, 8), {4, 3}}};
  for (const auto& k : cases) {
    const double err = folded_error(k.c, engine::Precision::f32, k.micro);
    MESSAGE(k.c.model << " batch " << k.c.batch << " in micro-batches of " << k.micro.images << " through stage "
                      << k.micro.stages << ": relative L2 " << err);
    CHECK(err <= 1e-5);
  }
  if (!testing::bf16_available()) return;
  const double bound = std::sqrt(2.0 * (17 + 3) + 1) * engine::kBf16UnitRoundoff;
  const double err = folded_error(config("resnet18", 3, 64, 4), engine::Precision::bf16, layers::MicroBatching{2, 2});
  MESSAGE("resnet18 bf16 in micro-batches of 2: relative L2 " << err << ", bound " << bound);
  CHECK(err <= bound);
}

TEST_CASE("a micro-batch that does not divide the batch is refused") {
  engine::Context context(1);
  const layers::ResNetConfig c = config("resnet20", 1, 28, 6);
  layers::Model model(context, c, {.inference = true});
  model.graph().initialize(1);
  CHECK_THROWS_WITH_AS(layers::plan_inference(context, c, layers::state_of(model.graph()).tensors,
                                              engine::ResidualFusion::sum, layers::MicroBatching{4, 1}),
                       doctest::Contains("a micro-batch of 4 does not divide the batch of 6"), Error);
}

TEST_CASE("a plan from a saved weights file equals the plan from the graph it was saved from, bit for bit") {
  engine::Context context(2);
  const layers::ResNetConfig c = config("resnet20", 1, 28, 3);
  layers::Model model(context, c, {.inference = true});
  model.graph().initialize(2);
  randomize_batch_norms(model.graph(), 7);
  testing::TempDir dir;
  engine::save_weights(dir.file("w.safetensors"), model.graph().parameters(), model.graph().buffers());
  const engine::Safetensors file = engine::Safetensors::read(dir.file("w.safetensors"));
  const auto from_file = layers::plan_inference(context, c, layers::state_of(file).tensors);
  const auto from_graph = layers::plan_inference(context, c, layers::state_of(model.graph()).tensors);
  const std::vector<float> x = random_images(c, 8);
  from_file->forward(x.data());
  const std::vector<float> a(from_file->logits(), from_file->logits() + 30);
  from_graph->forward(x.data());
  CHECK(a == std::vector<float>(from_graph->logits(), from_graph->logits() + 30));
}

TEST_CASE("a state without a key or with a mis-sized tensor is refused, naming the key") {
  engine::Context context(2);
  const layers::ResNetConfig c = config("resnet20", 1, 28, 2);
  layers::Model model(context, c, {.inference = true});
  model.graph().initialize(1);
  layers::OwnedState state = layers::state_of(model.graph());
  layers::StateTensors missing = state.tensors;
  missing.erase("layer2.0.bn1.running_var");
  CHECK_THROWS_WITH_AS(layers::plan_inference(context, c, missing),
                       doctest::Contains("no 'layer2.0.bn1.running_var'"), Error);
  layers::StateTensors short_fc = state.tensors;
  short_fc["fc.weight"] = short_fc["fc.weight"].first(10);
  CHECK_THROWS_WITH_AS(layers::plan_inference(context, c, short_fc),
                       doctest::Contains("'fc.weight' has 10 values"), Error);
}

TEST_CASE("the inference arena is smaller than the training plan's activations") {
  engine::Context context(2);
  const layers::ResNetConfig c = config("resnet50", 3, 64, 8);
  layers::Model model(context, c);
  model.graph().initialize(1);
  const auto plan = layers::plan_inference(context, c, layers::state_of(model.graph()).tensors);
  const engine::InferenceMemory m = plan->memory_report();
  MESSAGE("ResNet-50 64px batch 8: inference arena " << m.activations << " bytes (" << m.activations_unshared
                                                     << " unshared), training transient arena "
                                                     << model.graph().memory_report().transient);
  CHECK(m.activations < m.activations_unshared / 3);
  CHECK(m.activations < model.graph().memory_report().transient / 10);
}
