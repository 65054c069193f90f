// Scratch files for the fuzz targets whose readers take paths: one folder per process under the
// temporary directory, removed at exit, and a zlib gzip writer so targets can reach the .gz paths
// with inputs the fuzzer mutates uncompressed.
#pragma once

#include <stdlib.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace dnntrain::fuzz {

inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dnntrain-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

// Writes `size` bytes to `file`, gzip-compressed when `gzip` (zlib's gzopen, as gzip(1) would).
inline void write_file(const std::filesystem::path& file, const uint8_t* data, size_t size, bool gzip) {
  std::filesystem::create_directories(file.parent_path());
  if (gzip) {
    gzFile gz = gzopen(file.c_str(), "wb1");
    if (gz == nullptr) std::abort();
    if (size > 0) gzwrite(gz, data, static_cast<unsigned>(size));
    gzclose(gz);
    return;
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

inline void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace dnntrain::fuzz
