// Reads --config through Boost.Program_options' INI parser; kept apart (and free of the engine)
// so that a fuzz target can build it alone.
#include "apps/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <boost/program_options/parsers.hpp>
#include <fmt/format.h>

#include "apps/command.hpp"
#include "apps/limits.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

namespace {

// The file's bytes: a regular file of at most kMaxConfigBytes, opened without blocking so that a
// FIFO or device is refused at once.
std::string read_config(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw UsageError(errno == ENOENT ? fmt::format("--config: '{}' does not exist", file)
                                     : fmt::format("--config: cannot open '{}': {}", file, std::strerror(errno)));
  struct stat st {};
  std::string text;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (regular && static_cast<uint64_t>(st.st_size) <= kMaxConfigBytes) {
    text.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    text.resize(done);
  }
  ::close(fd);
  if (!regular) {
    const char* what = S_ISDIR(st.st_mode)                         ? "a directory"
                       : S_ISFIFO(st.st_mode)                      ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                  : "not a regular file";
    throw UsageError(fmt::format("--config: '{}' is {}; give an INI file", file, what));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes)
    throw UsageError(fmt::format("--config: '{}' is {} bytes, over the limit of {} for an INI file of options",
                                 file, st.st_size, kMaxConfigBytes));
  return text;
}

}  // namespace

void store_config_file(const std::string& file, const po::options_description& desc, po::variables_map& vm) {
  std::istringstream in(read_config(file));
  po::store(po::parse_config_file(in, desc), vm);
}

}  // namespace dnntrain::apps
