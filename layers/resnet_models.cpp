// The ResNet table: torchvision's stage depths and widths, and He et al.'s 6n+2 CIFAR family.
#include "layers/resnet_models.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/names.hpp"

namespace dnntrain::layers {

namespace {

// He et al.'s CIFAR ResNet of depth 6n + 2: n BasicBlocks in each of three stages.
ResNetArchitecture cifar_resnet(std::string_view name, int depth) {
  const int n = (depth - 2) / 6;
  return {name, false, {n, n, n}, {16, 32, 64}, true};
}

}  // namespace

const std::vector<ResNetArchitecture>& resnet_models() {
  static const std::vector<ResNetArchitecture> models{
      {"resnet18", false, {2, 2, 2, 2}, {64, 128, 256, 512}, false},
      {"resnet34", false, {3, 4, 6, 3}, {64, 128, 256, 512}, false},
      {"resnet50", true, {3, 4, 6, 3}, {64, 128, 256, 512}, false},
      {"resnet101", true, {3, 4, 23, 3}, {64, 128, 256, 512}, false},
      {"resnet152", true, {3, 8, 36, 3}, {64, 128, 256, 512}, false},
      cifar_resnet("resnet20", 20),
      cifar_resnet("resnet32", 32),
      cifar_resnet("resnet44", 44),
      cifar_resnet("resnet56", 56),
      cifar_resnet("resnet110", 110)};
  return models;
}

const ResNetArchitecture& resnet_architecture(std::string_view model) {
  if (const ResNetArchitecture* row = engine::find_row(resnet_models(), model)) return *row;
  throw Error(fmt::format("unknown model '{}'; choose one of {}", model, engine::name_list(resnet_models())));
}

}  // namespace dnntrain::layers
