// The model definition that a dnntrain::Trainer and a dnntrain::Predictor are both built from: which
// ResNet, for which images and classes. Plain values only, so a program needs no oneDNN headers.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dnntrain {

struct ModelSpec {
  // torchvision's resnet18, resnet34, resnet50, resnet101, resnet152, or He et al.'s CIFAR
  // resnet20, resnet32, resnet44, resnet56, resnet110.
  std::string model = "resnet18";
  int classes = 1000;
  int in_channels = 3;
  int image_size = 224;  // H = W of every input image
  // "imagenet" (7×7/2 convolution and max pool) or "cifar" (3×3/1, no pool); ImageNet ResNets only.
  std::string stem = "imagenet";
  // "f32", "bf16" (mixed precision: bf16 activations, f32 master weights) or "auto" (f32 here:
  // only `dnntrain train` and `bench` measure which precision is faster, --precision auto).
  std::string precision = "f32";
  // Convolution kernels: "auto" (oneDNN's choice, direct on CPUs), "direct" or "winograd".
  std::string conv_algorithm = "auto";
  bool zero_init_residual = false;
  // Blocks per stage, replacing the model's own (e.g. {1, 1, 1, 1}); empty: the model's.
  std::vector<int> stage_blocks = {};

  // Floats in one image: in_channels × image_size × image_size. Inputs are NCHW f32, row-major.
  size_t image_elements() const {
    return static_cast<size_t>(in_channels) * static_cast<size_t>(image_size) *
           static_cast<size_t>(image_size);
  }
};

}  // namespace dnntrain
