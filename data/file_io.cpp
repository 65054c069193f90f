// Dataset file reads through zlib's gzdopen/gzread, which pass plain files through unchanged, so one
// path serves IDX files raw or .gz and the CIFAR binaries. Files are opened with O_NONBLOCK and
// checked with fstat before any read, so a FIFO or device named as data fails at once.
#include "data/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

constexpr size_t kChunk = size_t{1} << 20;

// An open descriptor on a regular file, in blocking mode again; `size` is its size on disk.
int open_regular(const std::filesystem::path& file, uint64_t& size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    DNNTRAIN_CHECK(err != ENOENT, "file not found: " + file.string() + "; check the data path");
    throw Error("cannot open " + file.string() + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool dir = S_ISDIR(st.st_mode);
    ::close(fd);
    throw Error(file.string() + ": not a regular file (" + (dir ? "a folder" : "a FIFO, socket or device") +
                "); give the data file itself");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

}  // namespace

uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& what) {
  uint64_t out = 0;
  DNNTRAIN_CHECK(!__builtin_mul_overflow(a, b, &out),
                 what + ": " + std::to_string(a) + " x " + std::to_string(b) + " overflows 64 bits");
  return out;
}

void require_exists(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  DNNTRAIN_CHECK(std::filesystem::exists(path, ec),
                 std::string(what) + " not found: " + path.string() + "; check the data path");
}

DataFile::DataFile(const std::filesystem::path& file) : file_(file) {
  const int fd = open_regular(file, file_size_);
  gz_ = gzdopen(fd, "rb");
  if (gz_ == nullptr) {
    ::close(fd);
    throw Error("cannot open " + file.string() + ": out of memory");
  }
  gzbuffer(gz_, 1 << 17);
  compressed_ = gzdirect(gz_) == 0;  // zlib looks at the first bytes here
}

DataFile::~DataFile() {
  if (gz_ != nullptr) gzclose(gz_);
}

size_t DataFile::read(uint8_t* dst, size_t n) {
  size_t done = 0;
  while (done < n) {
    const unsigned want = static_cast<unsigned>(std::min(n - done, kChunk));
    const int got = gzread(gz_, dst + done, want);
    if (got < 0) {
      int code = 0;
      const std::string msg = gzerror(gz_, &code);
      throw Error("cannot read " + file_.string() + ": " + msg + " (corrupt or truncated gzip?)");
    }
    done += static_cast<size_t>(got);
    if (static_cast<unsigned>(got) < want) break;
  }
  return done;
}

void DataFile::read_up_to(uint64_t max_bytes, std::vector<uint8_t>& out) {
  // Steps grow from 64 KiB so that small files stay cheap and large ones take few reads.
  for (uint64_t left = max_bytes, step = 1 << 16; left > 0; step = std::min<uint64_t>(2 * step, 1 << 24)) {
    const size_t want = static_cast<size_t>(std::min(left, step));
    const size_t old = out.size();
    out.resize(old + want);
    const size_t got = read(out.data() + old, want);
    out.resize(old + got);
    if (got < want) return;
    left -= got;
  }
}

void DataFile::finish() {
  int code = 0;
  const std::string msg = gzerror(gz_, &code);
  const int close_rc = gzclose(gz_);
  gz_ = nullptr;
  // A gzip stream cut short reads as a short file; zlib reports it as Z_BUF_ERROR at close.
  DNNTRAIN_CHECK(code == Z_OK && close_rc == Z_OK,
                 "cannot read " + file_.string() + ": " + (code != Z_OK ? msg : "truncated gzip stream"));
}

std::vector<uint8_t> read_file(const std::filesystem::path& file, uint64_t max_bytes) {
  DataFile in(file);
  std::vector<uint8_t> out;
  out.reserve(in.compressed() ? 0 : static_cast<size_t>(std::min(in.file_size(), max_bytes)));
  in.read_up_to(max_bytes + 1, out);
  DNNTRAIN_CHECK(out.size() <= max_bytes, file.string() + ": more than " + std::to_string(max_bytes) +
                                              " bytes" + (in.compressed() ? " once decompressed" : "") +
                                              ", more than this kind of file can hold");
  in.finish();
  return out;
}

void read_raw_file(const std::filesystem::path& file, uint64_t max_bytes, std::vector<uint8_t>& out) {
  uint64_t size = 0;
  const int fd = open_regular(file, size);
  if (size > max_bytes) {
    ::close(fd);
    throw Error(file.string() + ": " + std::to_string(size) + " bytes, more than the " +
                std::to_string(max_bytes) + "-byte limit for one file");
  }
  out.resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::read(fd, out.data() + done, out.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const int err = errno;
      ::close(fd);
      throw Error("cannot read " + file.string() + ": " + (got < 0 ? std::strerror(err) : "file shrank"));
    }
    done += static_cast<size_t>(got);
  }
  ::close(fd);
}

}  // namespace dnntrain::data
