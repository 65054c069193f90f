// A trained ResNet as an ONNX model (opset 17, dynamic batch): the graph written node by node from
// the topology the engine builds its Model from (layers/resnet_topology.hpp), the weights from a
// checkpoint's plain tensors. Unfolded (Conv, BatchNormalization) or with BN folded into the convs.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors.hpp"
#include "layers/resnet_topology.hpp"

namespace dnntrain::onnx_export {

inline constexpr int kOpset = 17;
inline constexpr const char* kInputName = "input";    // (batch, C, H, W) f32
inline constexpr const char* kOutputName = "logits";  // (batch, classes) f32

struct ExportSpec {
  layers::TopologySpec topology;
  int image_size = 224;
  // BN folded into the convolution before it (layers::fold_batch_norm): Conv with a bias, no
  // BatchNormalization nodes. Default: Conv then BatchNormalization in its inference form.
  bool fold_bn = false;
  // The first nodes compute (input - mean) / std, so the model takes images in [0, 1]; without,
  // it takes normalised images. mean and std are in the metadata either way.
  bool normalize = true;
  std::vector<float> mean, std;                 // per input channel, the dataset's (data::normalization_for)
  std::vector<std::string> class_names;         // in label order; empty: none stored
  std::map<std::string, std::string> metadata;  // more metadata_props (e.g. the model's name)
};

// The model for `spec` with the weights of `weights` (torchvision state_dict keys, F32).
// throws: dnntrain::Error naming the file and key of a missing or mis-shaped tensor, or a
//   mean/std that does not have one value per input channel.
onnx::ModelProto resnet_to_onnx(const ExportSpec& spec, const engine::Safetensors& weights);

}  // namespace dnntrain::onnx_export
