// CRC-32C (Castagnoli) of a byte range: the checksum a checkpoint keeps in its metadata so that a
// torn or bit-rotted file is detected on load. SSE4.2's crc32 instruction where present.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dnntrain::engine {

// Continues `crc` (0 to start) over `n` bytes; crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace dnntrain::engine
