// What the public-API tests share: small models, random images and labels, and the engine's own
// eval-mode logits for the same weights file (the reference the Predictor must reproduce).
#pragma once

#include <cstdint>
#include <dnntrain/dnntrain.hpp>
#include <string>
#include <vector>

namespace dnntrain::testing {

// ResNet-18 for 10 classes at 32 px: its last stage is 1×1, so batch 1 has one value per channel.
ModelSpec resnet18_32px();
// CIFAR ResNet-20, 1 channel, 8 px, 5 classes: the model of tests/fixtures/predictor_*.safetensors.
ModelSpec resnet20_8px();

std::vector<float> random_images(const ModelSpec& spec, int n, uint32_t seed);
std::vector<int32_t> random_labels(const ModelSpec& spec, int n, uint32_t seed);

// The engine's logits [n, classes] for `images` under the weights in `path`: a layers::Model planned
// for training at batch n, loaded with engine::load_weights, one forward in Mode::eval.
std::vector<float> engine_eval_logits(const ModelSpec& spec, const std::string& path,
                                      const std::vector<float>& images);

// A trainer on `spec` (batch 4, SGD with momentum) after `steps` steps on random batches, so its
// weights and batch-norm statistics are far from their initial values.
Trainer trained(const ModelSpec& spec, int steps);

}  // namespace dnntrain::testing
