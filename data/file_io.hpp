// Reads of dataset files, raw or gzip (zlib reads both), with errors that name the file: only
// regular files are opened, reads stop at a caller's bound, and sizes from headers are multiplied
// with an overflow check. Readers check every size before they index into what these return.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct gzFile_s;

namespace dnntrain::data {

// a * b for sizes taken from a file header or an option. Throws dnntrain::Error
// "<what>: <a> x <b> overflows" instead of wrapping.
uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& what);

// A data file open for reading; gzip streams are decompressed transparently. Only a regular file is
// opened (after open with O_NONBLOCK, so a FIFO never blocks): a folder, FIFO or device is refused.
class DataFile {
 public:
  // Throws dnntrain::Error naming the file if it is missing, unreadable or not a regular file.
  explicit DataFile(const std::filesystem::path& file);
  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  // Reads up to `n` bytes (fewer only at the end of the data). Throws naming the file on a corrupt
  // gzip stream.
  size_t read(uint8_t* dst, size_t n);
  // Appends up to `max_bytes` bytes to `out`, growing it as data arrives (never by `max_bytes` at
  // once), so a header's promise costs nothing until the data is there.
  void read_up_to(uint64_t max_bytes, std::vector<uint8_t>& out);
  // Throws naming the file if the stream ended badly (a gzip stream cut short reads as a short file).
  void finish();

  bool compressed() const { return compressed_; }
  uint64_t file_size() const { return file_size_; }  // on disk (the compressed size for gzip)
  const std::filesystem::path& path() const { return file_; }

 private:
  std::filesystem::path file_;
  gzFile_s* gz_ = nullptr;
  uint64_t file_size_ = 0;
  bool compressed_ = false;
};

// Reads the whole file (decompressed). Throws dnntrain::Error naming the file if it holds more than
// `max_bytes` bytes, or for any DataFile error; decompression stops one byte past the bound.
std::vector<uint8_t> read_file(const std::filesystem::path& file, uint64_t max_bytes);

// Reads a file that is expected to be small and raw (an image): regular files only, at most
// `max_bytes`, into `out` (its capacity is reused). Throws dnntrain::Error naming the file.
void read_raw_file(const std::filesystem::path& file, uint64_t max_bytes, std::vector<uint8_t>& out);

// Throws dnntrain::Error "<what> not found: <path>" unless `path` exists.
void require_exists(const std::filesystem::path& path, const char* what);

}  // namespace dnntrain::data
