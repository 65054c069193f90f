// Whole-file reads for the dataset readers, raw or gzip (zlib reads both), with errors that name
// the file. Readers check every size before they index into what these return.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace dnntrain::data {

// Reads the whole file; gzip streams are decompressed transparently. Throws dnntrain::Error naming
// the file if it is missing, unreadable or a truncated/corrupt gzip stream.
std::vector<uint8_t> read_file(const std::filesystem::path& file);

// Reads at most `max_bytes` from the start of a file (no decompression): for sniffing magic bytes.
std::vector<uint8_t> read_prefix(const std::filesystem::path& file, size_t max_bytes);

// Throws dnntrain::Error "<what> not found: <path>" unless `path` exists.
void require_exists(const std::filesystem::path& path, const char* what);

}  // namespace dnntrain::data
