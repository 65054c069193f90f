// Writes an edited copy of a checkpoint whose checksum is recomputed from the format's definition
// (format 2: CRC-32C of the canonical header without dnntrain.crc32c, then the data), so a test can
// hand the loader a file that is well-formed but holds a value it must refuse.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dnntrain::test {

using Metadata = std::map<std::string, std::string>;

// `edit_data` gets the data buffer and the byte offset of each tensor by name. Without
// dnntrain.crc32c in the edited metadata (e.g. cleared), none is written: a torch-like file.
void rewrite_checkpoint(
    const std::string& from, const std::string& to, const std::function<void(Metadata&)>& edit_metadata,
    const std::function<void(std::vector<uint8_t>&, const std::map<std::string, uint64_t>&)>& edit_data = {});

}  // namespace dnntrain::test
