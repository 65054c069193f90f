// Crash-safe file replacement: write a uniquely named temporary `<path>.dnntrain-tmp.<pid>.<n>` in
// the same folder (created with O_EXCL|O_NOFOLLOW, so it never writes through a planted link), fsync
// it, rename it over `<path>`, fsync the folder. A process killed at any moment leaves either the
// previous file or the new one, whole. Also the one way files are opened for writing (never through
// a link), and checked reads of whole files and of byte ranges.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dnntrain::engine {

class AtomicFile {
 public:
  // Creates a fresh temporary beside `path`. Throws dnntrain::Error naming the file if it cannot.
  explicit AtomicFile(std::string path);
  // Removes the temporary file unless commit() succeeded; `path` is untouched then.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const uint8_t> bytes);  // throws on a short write (disk full, ...)
  // ensures: `path` holds exactly the bytes written, durably (file and folder fsynced); on a throw
  //          the temporary is gone and `path` holds its previous content.
  void commit();
  const std::string& temporary() const { return tmp_; }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically (AtomicFile).
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

// Opens `path` for writing with `flags` (O_WRONLY or O_RDWR, and O_CREAT, O_APPEND, O_EXCL as the
// caller needs) and returns the descriptor, never writing through a link: a symbolic link, a file
// with other names (a hard link) and anything but a regular file are refused with a
// dnntrain::Error naming the file. Every file dnntrain writes is opened here.
int open_for_writing(const std::string& path, int flags);

// True for names AtomicFile gives its temporaries: "<name>.dnntrain-tmp.<digits>.<digits>".
bool is_atomic_temporary(const std::string& file_name);
// Deletes the temporaries a killed writer left in `dir`: regular files with AtomicFile's names,
// owned by this user, whose writer process (the pid in the name) no longer runs. Returns how many
// were removed. Anything else, a user's own "*.tmp.1.2" included, is left alone.
int remove_stale_temporaries(const std::string& dir);

// Why `path` cannot be read as a file: "does not exist", "is a directory", "is a FIFO", ...;
// nullopt for a regular file (links followed).
std::optional<std::string> not_a_regular_file(const std::string& path);

// An open regular file for reading (opened non-blocking, so a FIFO or device is refused at once
// instead of hanging). Every read is checked; errors name the file.
class ReadFile {
 public:
  explicit ReadFile(const std::string& path);
  ~ReadFile();
  ReadFile(const ReadFile&) = delete;
  ReadFile& operator=(const ReadFile&) = delete;
  uint64_t size() const { return size_; }
  // Exactly `out.size()` bytes from `offset`; throws if the file is shorter (it shrank).
  void read_at(uint64_t offset, std::span<uint8_t> out) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The whole file; throws dnntrain::Error naming the file when it is not a regular file, cannot be
// read, or is larger than `max_bytes`.
std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes = UINT64_MAX);

}  // namespace dnntrain::engine
