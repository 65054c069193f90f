// LogFile on a POSIX descriptor opened O_APPEND|O_NOFOLLOW|O_NONBLOCK (a FIFO is refused at once).
#include "apps/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw Error(what + " '" + path + "': " + std::strerror(error));
}

}  // namespace

LogFile::LogFile(std::string path, uint64_t keep_bytes) : path_(std::move(path)) {
  fd_ = engine::open_for_writing(path_, O_WRONLY | O_CREAT | O_APPEND);
  if (::ftruncate(fd_, static_cast<off_t>(keep_bytes)) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    fail("cannot truncate", path_, e);
  }
}

LogFile::~LogFile() {
  if (fd_ >= 0) ::close(fd_);
}

LogFile::LogFile(LogFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

LogFile& LogFile::operator=(LogFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void LogFile::append(std::string_view text) {
  DNNTRAIN_CHECK(fd_ >= 0, "write to the closed log file '" + path_ + "'");
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write", path_, n == 0 ? EIO : errno);
    text.remove_prefix(static_cast<size_t>(n));
  }
}

void LogFile::close() {
  if (fd_ < 0) return;
  const int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    fail("cannot fsync", path_, e);
  }
  if (::close(fd) != 0) fail("cannot close", path_, errno);
}

std::string LogFile::read_existing(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return {};
  const int fd = engine::open_for_writing(path, O_RDONLY);  // the file to be written next: same refusals
  std::string text;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      fail("cannot read", path, e);
    }
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace dnntrain::apps
