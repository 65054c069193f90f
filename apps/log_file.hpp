// An append-only text file of the output folder (summary.csv, log.jsonl): opened with O_NOFOLLOW so
// a planted link is refused instead of written through, every write checked, fsynced and closed
// with a check, each error naming the file (disk full, I/O error, file size limit).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dnntrain::apps {

class LogFile {
 public:
  LogFile() = default;
  // Opens (creating) `path` and cuts it to its first `keep_bytes` bytes; writes then append.
  // Throws dnntrain::Error naming the file if it is a link, not a regular file, or has other names.
  LogFile(std::string path, uint64_t keep_bytes);
  ~LogFile();
  LogFile(LogFile&& other) noexcept;
  LogFile& operator=(LogFile&& other) noexcept;

  void append(std::string_view text);
  // fsync and close, both checked. A LogFile destroyed without close() closes unchecked.
  void close();
  const std::string& path() const { return path_; }

  // The content of `path` if it exists (empty otherwise), read without following a link.
  static std::string read_existing(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace dnntrain::apps
