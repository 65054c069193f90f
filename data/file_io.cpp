// Whole-file reads through zlib's gzopen/gzread, which pass plain files through unchanged, so one
// path serves IDX files raw or .gz and the CIFAR binaries.
#include "data/file_io.hpp"

#include <zlib.h>

#include <fstream>

#include "engine/error.hpp"

namespace dnntrain::data {

void require_exists(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  DNNTRAIN_CHECK(std::filesystem::exists(path, ec),
                 std::string(what) + " not found: " + path.string() + "; check the data path");
}

std::vector<uint8_t> read_file(const std::filesystem::path& file) {
  require_exists(file, "file");
  gzFile gz = gzopen(file.c_str(), "rb");
  DNNTRAIN_CHECK(gz != nullptr, "cannot open " + file.string());
  gzbuffer(gz, 1 << 17);
  std::vector<uint8_t> out;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  out.reserve(ec ? 0 : size);  // a lower bound for gzip files, exact for raw ones
  constexpr unsigned kChunk = 1u << 20;
  for (;;) {
    const size_t old = out.size();
    out.resize(old + kChunk);
    const int got = gzread(gz, out.data() + old, kChunk);
    if (got < 0) {
      int code = 0;
      const std::string msg = gzerror(gz, &code);
      gzclose(gz);
      throw Error("cannot read " + file.string() + ": " + msg + " (corrupt or truncated gzip?)");
    }
    out.resize(old + got);
    if (got < static_cast<int>(kChunk)) break;
  }
  int code = 0;
  const std::string msg = gzerror(gz, &code);
  const int close_rc = gzclose(gz);
  // A gzip stream cut short reads as a short file; zlib reports it as Z_BUF_ERROR at close.
  DNNTRAIN_CHECK(code == Z_OK && close_rc == Z_OK,
                 "cannot read " + file.string() + ": " + (code != Z_OK ? msg : "truncated gzip stream"));
  return out;
}

std::vector<uint8_t> read_prefix(const std::filesystem::path& file, size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  DNNTRAIN_CHECK(in.good(), "cannot open " + file.string());
  std::vector<uint8_t> out(max_bytes);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(max_bytes));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

}  // namespace dnntrain::data
