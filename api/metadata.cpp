// dnntrain::read_metadata over the engine's safetensors reader, which checks the file first.
#include <dnntrain/metadata.hpp>

#include "engine/checkpoint/safetensors.hpp"

namespace dnntrain {

std::map<std::string, std::string> read_metadata(const std::string& path) {
  return engine::Safetensors::read(path).metadata();
}

}  // namespace dnntrain
