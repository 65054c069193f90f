// The public-API tests' shared models, data and engine reference.
#include "tests/api/api_fixture.hpp"

#include <random>

#include "api/spec_config.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/context.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::testing {

ModelSpec resnet18_32px() { return {.model = "resnet18", .classes = 10, .in_channels = 3, .image_size = 32}; }

ModelSpec resnet20_8px() { return {.model = "resnet20", .classes = 5, .in_channels = 1, .image_size = 8}; }

std::vector<float> random_images(const ModelSpec& spec, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> pixel;
  std::vector<float> images(static_cast<size_t>(n) * spec.image_elements());
  for (float& v : images) v = pixel(rng);
  return images;
}

std::vector<int32_t> random_labels(const ModelSpec& spec, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (int32_t& y : labels) y = static_cast<int32_t>(rng() % static_cast<uint32_t>(spec.classes));
  return labels;
}

std::vector<float> engine_eval_logits(const ModelSpec& spec, const std::string& path,
                                      const std::vector<float>& images) {
  const int n = static_cast<int>(images.size() / spec.image_elements());
  engine::Context context;
  layers::Model model(context, api::resnet_config(spec, n));
  model.graph().initialize(0);
  engine::load_weights(path, model.graph().parameters(), model.graph().buffers());
  const std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  model.graph().forward(engine::Mode::eval, images.data(), labels.data());
  const float* logits = static_cast<const float*>(model.graph().value(model.logits()).get_data_handle());
  return {logits, logits + static_cast<size_t>(n) * spec.classes};
}

Trainer trained(const ModelSpec& spec, int steps) {
  Trainer trainer(spec, {.batch = 4, .lr = 0.02, .momentum = 0.9});
  trainer.initialize(5);
  for (int s = 0; s < steps; ++s)
    trainer.train_step(random_images(spec, 4, 100 + s), random_labels(spec, 4, 200 + s));
  return trainer;
}

}  // namespace dnntrain::testing
