// The wisdom file: "# dnntrain wisdom 2", then one "<key>\t<precision>\t<f32 ms>\t<bf16 ms>" line
// per entry. Writers merge under an flock on a separate lock file and replace the file by rename.
#include "engine/wisdom.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"

namespace dnntrain::engine {

namespace {

constexpr uint64_t kMaxWisdomBytes = 1 << 20;  // a few hundred bytes per entry

// A finite, non-negative number of milliseconds, the whole field.
std::optional<double> parse_ms(const std::string& field) {
  if (field.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(field.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

// The whole text of `path`, or nullopt with a notice (missing: nullopt, no notice).
std::optional<std::string> read_text(const std::string& path, std::vector<std::string>& notices) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  try {
    const auto bytes = read_file(path, kMaxWisdomBytes);
    return std::string(bytes.begin(), bytes.end());
  } catch (const Error& e) {
    notices.push_back(fmt::format("ignoring the wisdom cache: {}", e.what()));
    return std::nullopt;
  }
}

Wisdom parse_text(const std::string& path, const std::string& text) {
  Wisdom w;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kWisdomHeader) {
    w.notices.push_back(fmt::format("ignoring {}: it does not start with '{}' (another format or version); "
                                    "a measurement will replace it",
                                    path, kWisdomHeader));
    return w;
  }
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const auto parsed = parse_wisdom_line(line);
    if (!parsed) {
      w.notices.push_back(fmt::format("{}:{}: ignoring a malformed entry", path, number));
      continue;
    }
    if (parsed->second.precision != choose_precision(parsed->second.timing)) {
      w.notices.push_back(fmt::format("{}:{}: ignoring an entry whose precision disagrees with its timings",
                                      path, number));
      continue;
    }
    w.entries[parsed->first] = parsed->second;
  }
  return w;
}

}  // namespace

std::string default_wisdom_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/dnntrain/wisdom.txt";
  const char* home = std::getenv("HOME");
  if (home && *home == '/') return std::string(home) + "/.cache/dnntrain/wisdom.txt";
  return "";
}

std::string wisdom_line(const std::string& key, const WisdomEntry& entry) {
  return fmt::format("{}\t{}\t{:.3f}\t{:.3f}", key, precision_name(entry.precision),
                     1e3 * entry.timing.f32_seconds, 1e3 * entry.timing.bf16_seconds);
}

std::optional<std::pair<std::string, WisdomEntry>> parse_wisdom_line(const std::string& line) {
  const auto fields = split_tabs(line);
  if (fields.size() != 4 || fields[0].empty()) return std::nullopt;
  WisdomEntry e;
  if (fields[1] == "bf16")
    e.precision = Precision::bf16;
  else if (fields[1] != "f32")
    return std::nullopt;
  const auto f32 = parse_ms(fields[2]), bf16 = parse_ms(fields[3]);
  if (!f32 || !bf16 || *f32 <= 0) return std::nullopt;
  e.timing = {*f32 / 1e3, *bf16 / 1e3};
  return std::pair{fields[0], e};
}

Wisdom read_wisdom(const std::string& path) {
  Wisdom w;
  if (auto text = read_text(path, w.notices)) {
    Wisdom parsed = parse_text(path, *text);
    parsed.notices.insert(parsed.notices.begin(), w.notices.begin(), w.notices.end());
    return parsed;
  }
  return w;
}

std::optional<std::string> store_wisdom(const std::string& path, const std::string& key, const WisdomEntry& entry) {
  const auto failed = [&](const std::string& why) {
    return fmt::format("could not store the measurement in {}: {}", path, why);
  };
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return failed(ec.message());
  int lock = -1;
  try {
    lock = open_for_writing(path + ".lock", O_RDWR | O_CREAT);
  } catch (const Error& e) {
    return failed(e.what());
  }
  while (::flock(lock, LOCK_EX) != 0)
    if (errno != EINTR) {
      const std::string why = std::strerror(errno);
      ::close(lock);
      return failed(why);
    }
  std::optional<std::string> result;
  try {
    std::vector<std::string> ignored;  // the reader already reported what was wrong with the file
    Wisdom w;
    if (auto text = read_text(path, ignored)) w = parse_text(path, *text);
    w.entries[key] = entry;
    std::string out = std::string(kWisdomHeader) + "\n";
    for (const auto& [k, e] : w.entries) out += wisdom_line(k, e) + "\n";
    write_file_atomic(path, {reinterpret_cast<const uint8_t*>(out.data()), out.size()});
  } catch (const Error& e) {
    result = failed(e.what());
  }
  ::close(lock);  // releases the flock
  return result;
}

}  // namespace dnntrain::engine
