// The ResNets: torchvision's ResNet-18/34/50/101/152 (optionally with a CIFAR stem) and He et al.'s
// CIFAR ResNet-20/32/44/56/110, built from their topology (resnet_topology.hpp) with the layers of
// this folder into one static graph whose parameters carry torchvision's state_dict keys.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/batch_source.hpp"
#include "engine/graph.hpp"
#include "engine/names.hpp"
#include "engine/precision.hpp"
#include "layers/conv2d.hpp"
#include "layers/resnet_models.hpp"
#include "layers/resnet_topology.hpp"
#include "layers/softmax_cross_entropy.hpp"

namespace dnntrain::layers {

struct ResNetConfig {
  std::string model = "resnet18";  // a resnet_models() name
  int classes = 1000;
  int in_channels = 3;
  int image_size = 224;  // H = W of the input
  int batch = 32;
  Stem stem = Stem::imagenet;  // ImageNet ResNets only: cifar = 3×3/1 conv, no max pool
  bool zero_init_residual = false;
  float label_smoothing = 0.f;
  bool freeze_bn = false;  // every BN normalises with its running statistics in training too
  Conv2dOptions::Algorithm conv_algorithm = Conv2dOptions::Algorithm::automatic;
  // Blocks per stage, overriding the model's own (e.g. {1, 1, 1, 1}: the model's block kind and
  // stem with one block per stage, for small experiments and tests). Empty: the model's.
  std::vector<int> stage_blocks;
  // bf16: the graph converts its input to bf16 and runs every layer up to the global average pool
  // in bf16; the classifier and the loss run in f32.
  engine::Precision precision = engine::Precision::f32;
  // bf16 only: the activations' layout. `blocked` keeps the plain input's layout, from which the
  // first convolution picks oneDNN's channel-blocked layouts; `nhwc` converts the input to nhwc,
  // which every later layer keeps; `automatic` is nhwc where engine::bf16_prefers_nhwc() holds.
  enum class Bf16Layout { automatic, blocked, nhwc };
  Bf16Layout bf16_layout = Bf16Layout::automatic;
};

// Whether the model's bf16 activations are nhwc (config.bf16_layout resolved on this CPU).
bool bf16_nhwc(const ResNetConfig& config);

// The smallest input size the model's stride-2 steps leave at least 1×1 (the model must be known).
int min_image_size(const ResNetConfig& config);
// The nodes of `config`'s network (resnet_topology), after checking every field of `config`: the
// one topology the training graph and the inference plan are built from.
// throws: dnntrain::Error naming the field and its allowed values.
std::vector<ResNetNode> checked_topology(const ResNetConfig& config);

// A planned ResNet: its graph, the loss at its end, and the logits feeding it.
class Model {
 public:
  Model(engine::Context& context, const ResNetConfig& config, engine::GraphOptions options = {});
  engine::Graph& graph() { return graph_; }
  SoftmaxCrossEntropy& loss() { return *loss_; }
  engine::TensorId logits() const { return logits_; }
  engine::TensorId input() const { return input_; }
  const ResNetConfig& config() const { return config_; }
  // How training and evaluation read the loss layer (valid while the model lives).
  engine::LossReadout readout() {
    return {[this] { return loss_->loss(); }, [this] { return loss_->log_probs(); }, loss_->classes()};
  }

 private:
  ResNetConfig config_;
  engine::Graph graph_;
  engine::TensorId input_, logits_;
  SoftmaxCrossEntropy* loss_ = nullptr;
};

}  // namespace dnntrain::layers
