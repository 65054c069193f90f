// Checking, writing and reading ONNX files with libonnx; see model_file.hpp.
#include "onnx/model_file.hpp"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cstdint>
#include <span>
#include <vector>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"

namespace dnntrain::onnx_export {

void check_onnx(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
  } catch (const std::exception& e) {
    throw Error(fmt::format("the ONNX checker refused the model: {}", e.what()));
  }
}

void write_onnx(const onnx::ModelProto& model, const std::string& path) {
  check_onnx(model);
  std::string bytes;
  DNNTRAIN_CHECK(model.SerializeToString(&bytes),
                 fmt::format("{}: the ONNX model did not serialise (over protobuf's 2 GB?)", path));
  engine::write_file_atomic(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

onnx::ModelProto read_onnx(const std::string& path) {
  const engine::ReadFile file(path);
  DNNTRAIN_CHECK(file.size() < (uint64_t{1} << 31),
                 fmt::format("{}: {} bytes, more than an ONNX model holds (2 GB)", path, file.size()));
  std::vector<uint8_t> bytes(file.size());
  file.read_at(0, bytes);
  onnx::ModelProto model;
  DNNTRAIN_CHECK(model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())),
                 fmt::format("{}: not an ONNX model (protobuf parse failed)", path));
  return model;
}

}  // namespace dnntrain::onnx_export
