// The ResNets by name: one row per model that Model builds (torchvision's resnet18/34/50/101/152,
// He et al.'s CIFAR resnet20/32/44/56/110) with its block kind, blocks and widths per stage. The
// one table behind --model's parsing, help text and error message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dnntrain::layers {

struct ResNetArchitecture {
  std::string_view name;
  bool bottleneck;
  std::vector<int> blocks;  // per stage
  std::vector<int> widths;  // per stage (bottleneck: the inner width; output is 4×)
  bool cifar_family;        // He et al.'s 16/32/64 CIFAR ResNets
};

// Every model, in a stable order (ImageNet ResNets first).
const std::vector<ResNetArchitecture>& resnet_models();

// The row named `model`.
// throws: dnntrain::Error naming the known models otherwise.
const ResNetArchitecture& resnet_architecture(std::string_view model);

}  // namespace dnntrain::layers
