// The text a weights or checkpoint file carries beside its tensors (safetensors __metadata__), e.g.
// dnntrain train's run configuration under "dnntrain.config".
#pragma once

#include <map>
#include <string>

namespace dnntrain {

// Every key and value of the file's metadata (empty when it has none).
// throws: dnntrain::Error naming the file when it cannot be read or is not a safetensors file.
std::map<std::string, std::string> read_metadata(const std::string& path);

}  // namespace dnntrain
