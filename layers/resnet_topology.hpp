// The ResNets' topology as plain data: the one declaration of which convolution, batch norm, pool,
// residual sum and classifier follow which, with torchvision's names. layers::Model builds its
// graph from it, and the ONNX export (onnx/) writes it; neither needs oneDNN to read it.
#pragma once

#include <string>
#include <vector>

#include "engine/names.hpp"

namespace dnntrain::layers {

enum class Stem { imagenet, cifar };

// --stem's names: the one table behind parsing, help text and errors.
inline constexpr engine::Named<Stem> kStemNames[] = {{Stem::imagenet, "imagenet"}, {Stem::cifar, "cifar"}};

struct TopologySpec {
  std::string model = "resnet18";  // a resnet_models() name
  int classes = 1000;
  int in_channels = 3;
  Stem stem = Stem::imagenet;          // ImageNet ResNets only: cifar = 3×3/1 conv, no max pool
  std::vector<int> stage_blocks = {};  // blocks per stage overriding the model's; empty: the model's
};

// One step of the network. Inputs are indices of earlier nodes; kGraphInput is the images.
struct ResNetNode {
  enum class Kind {
    conv_bn,          // a convolution without bias (`name`), then a batch norm (`bn`), then ReLU if `relu`
    max_pool,         // kernel × kernel, stride, padding
    add_relu,         // relu(inputs[0] + inputs[1]): a residual block's sum
    global_avg_pool,  // (N, C, H, W) -> (N, C)
    linear,           // (N, in) -> (N, out), with bias
  };
  Kind kind = Kind::conv_bn;
  std::string name = {};  // torchvision's module path: "layer1.0.conv1", "maxpool", "layer1.0.add", "fc"
  std::string bn = {};    // conv_bn: the batch norm's module path, e.g. "layer1.0.bn1"
  std::vector<int> inputs = {};  // indices into the node list, or kGraphInput
  int in = 0, out = 0;           // channels (conv_bn) or features (linear)
  int kernel = 1, stride = 1, padding = 0;
  bool relu = false;         // conv_bn: a ReLU after the batch norm
  bool residual_bn = false;  // conv_bn: the last batch norm of a residual branch (zero_init_residual)
  double bn_eps = 1e-5;      // conv_bn: the batch norm's epsilon, torchvision's default
  int stage = 0;  // in execution order: 0 the stem, k torchvision's layerk, then one more for avgpool and fc
};

inline constexpr int kGraphInput = -1;

// The nodes of `spec`'s network in execution order; the last is the classifier "fc", whose output
// is the logits.
// throws: dnntrain::Error for an unknown model, a stage_blocks list that does not fit it, or a
//   non-positive class or channel count.
std::vector<ResNetNode> resnet_topology(const TopologySpec& spec);

}  // namespace dnntrain::layers
