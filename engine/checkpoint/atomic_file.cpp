// AtomicFile and read_file on POSIX descriptors: every call checked, EINTR retried, errors name
// the file and the errno text.
#include "engine/checkpoint/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

Error io_error(const std::string& what, const std::string& path) {
  return Error(what + " '" + path + "': " + std::strerror(errno));
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw io_error("cannot create the temporary checkpoint file", tmp_);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(std::span<const uint8_t> bytes) {
  DNNTRAIN_CHECK(fd_ >= 0 && !committed_, "AtomicFile: write after commit for '" + path_ + "'");
  const uint8_t* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw io_error("cannot write", tmp_);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  DNNTRAIN_CHECK(fd_ >= 0 && !committed_, "AtomicFile: commit twice for '" + path_ + "'");
  if (::fsync(fd_) != 0) throw io_error("cannot fsync", tmp_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw io_error("cannot close", tmp_);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw io_error("cannot rename the temporary file over", path_);
  committed_ = true;
  const std::string dir = parent_dir(path_);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw io_error("cannot open the folder to fsync it", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) throw io_error("cannot fsync the folder", dir);
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

std::vector<uint8_t> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("cannot read '" + path + "': not a regular file");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n == 0 ? EIO : errno;
      ::close(fd);
      errno = e;
      throw io_error("cannot read (file shrank or I/O error)", path);
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return bytes;
}

}  // namespace dnntrain::engine
