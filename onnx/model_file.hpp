// ONNX model files: checked with ONNX's own checker and strict shape inference before they are
// written (atomically, as checkpoints are), and read back.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

namespace dnntrain::onnx_export {

// onnx::checker::check_model, then shape inference in strict mode.
// throws: dnntrain::Error with the checker's message.
void check_onnx(const onnx::ModelProto& model);

// check_onnx, then the serialised model to `path` through a temporary and a rename: `path` keeps
// its previous content if anything fails. throws: dnntrain::Error naming the file.
void write_onnx(const onnx::ModelProto& model, const std::string& path);

// throws: dnntrain::Error naming the file when it cannot be read or parsed.
onnx::ModelProto read_onnx(const std::string& path);

}  // namespace dnntrain::onnx_export
