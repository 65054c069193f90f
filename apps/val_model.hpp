// The model evaluated at another input size than it trains at (torchvision's --val-crop-size 224
// beside --train-crop-size 176): a second, inference-only plan of the same ResNet, whose weights and
// BN statistics are copied from the training graph before each evaluation. A ResNet's weights do
// not depend on the input size (global average pooling before the classifier).
#pragma once

#include "engine/batch_source.hpp"
#include "engine/context.hpp"
#include "engine/evaluate.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

class ValModel {
 public:
  // `config`: the training model's, with the evaluation's image size.
  ValModel(engine::Context& context, const layers::ResNetConfig& config);
  // Copies `trained`'s parameters and buffers (the same architecture), then evaluates `source`.
  engine::EvalResult evaluate(engine::Graph& trained, engine::BatchSource& source);

 private:
  layers::Model model_;
};

}  // namespace dnntrain::apps
