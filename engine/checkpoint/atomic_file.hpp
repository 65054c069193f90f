// Crash-safe file replacement: write `<path>.tmp` in the same
// folder, fsync it, rename it over `<path>`, fsync the folder. A process killed at any moment
// leaves either the previous file or the new one, whole. Also a checked whole-file read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dnntrain::engine {

class AtomicFile {
 public:
  // Creates (truncates) `<path>.tmp`. Throws dnntrain::Error naming the file if it cannot.
  explicit AtomicFile(std::string path);
  // Removes the temporary file unless commit() succeeded; `path` is untouched then.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const uint8_t> bytes);  // throws on a short write (disk full, ...)
  // ensures: `path` holds exactly the bytes written, durably (file and folder fsynced).
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically (AtomicFile).
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
// The whole file; throws dnntrain::Error naming the file when it cannot be opened or read.
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace dnntrain::engine
