// AtomicFile and the checked readers on POSIX descriptors: every call checked, EINTR retried,
// errors name the file and the errno text.
#include "engine/checkpoint/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
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

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "is a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device";
  return "is not a regular file";
}

constexpr const char* kTemporaryTag = ".dnntrain-tmp.";

bool all_digits(const std::string& s, size_t begin, size_t end) {
  if (begin >= end) return false;
  for (size_t i = begin; i < end; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  static std::atomic<uint64_t> counter{0};
  // A name taken by anything (a planted link included) is skipped, never opened.
  for (int attempt = 0; fd_ < 0; ++attempt) {
    tmp_ = path_ + kTemporaryTag + std::to_string(::getpid()) + "." + std::to_string(counter++);
    struct stat st {};
    if (::lstat(tmp_.c_str(), &st) == 0 && attempt < 100) continue;  // taken: try the next name
    fd_ = open_for_writing(tmp_, O_WRONLY | O_CREAT | O_EXCL);
  }
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
  // rename replaces a link at `path` itself, never its target.
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

int open_for_writing(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ELOOP)
    throw Error("'" + path +
                "' is a symbolic link; dnntrain writes no file through a link it did not make "
                "(remove the link)");
  if (fd < 0) throw io_error("cannot open for writing", path);
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (!regular || st.st_nlink > 1) {
    ::close(fd);
    throw Error("'" + path + "' is " + (regular ? "a hard link to another file" : "not a regular file") +
                "; dnntrain writes no file through a link it did not make (remove it)");
  }
  return fd;
}

namespace {

// The writer's pid in a temporary's name, or -1 when the name is not AtomicFile's.
long temporary_owner(const std::string& name) {
  const auto tag = name.rfind(kTemporaryTag);
  if (tag == std::string::npos || tag == 0) return -1;
  const size_t pid = tag + std::strlen(kTemporaryTag), dot = name.find('.', pid);
  if (dot == std::string::npos || dot - pid > 9 || !all_digits(name, pid, dot) ||
      !all_digits(name, dot + 1, name.size()))
    return -1;
  return std::stol(name.substr(pid, dot - pid));
}

}  // namespace

bool is_atomic_temporary(const std::string& name) { return temporary_owner(name) >= 0; }

int remove_stale_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw io_error("cannot list", dir);
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name, path = dir + "/" + name;
    const long owner = temporary_owner(name);
    struct stat st {};
    if (owner < 0 || ::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
      continue;
    // A writer that still runs (or a pid reused since) keeps its file: only a dead writer's goes.
    if (owner == ::getpid() || ::kill(static_cast<pid_t>(owner), 0) == 0 || errno != ESRCH) continue;
    if (::unlink(path.c_str()) == 0) ++removed;  // unlink never follows a link
  }
  ::closedir(d);
  return removed;
}

std::optional<std::string> not_a_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "does not exist" : std::strerror(errno);
  if (S_ISREG(st.st_mode)) return std::nullopt;
  return kind_of(st.st_mode);
}

ReadFile::ReadFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw io_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    errno = e;
    throw io_error("cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw Error("cannot read '" + path + "': it " + kind_of(st.st_mode) + ", not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

ReadFile::~ReadFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ReadFile::read_at(uint64_t offset, std::span<uint8_t> out) const {
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      throw io_error("cannot read (file shrank or I/O error)", path_);
    }
    got += static_cast<size_t>(n);
  }
}

std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes) {
  const ReadFile file(path);
  if (file.size() > max_bytes)
    throw Error("cannot read '" + path + "': it has " + std::to_string(file.size()) +
                " bytes, more than the " + std::to_string(max_bytes) + "-byte limit");
  std::vector<uint8_t> bytes(static_cast<size_t>(file.size()));
  file.read_at(0, bytes);
  return bytes;
}

}  // namespace dnntrain::engine
