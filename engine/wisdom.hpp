// The wisdom cache, after FFTW's: a small text file of the precisions --precision auto measured,
// one line per (machine, oneDNN, model, shape, threads) key, so that a second run of the same
// configuration decides in a file read. Bad content is ignored with a notice, never an error.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/tuning.hpp"

namespace dnntrain::engine {

// The file's first line; a file that does not start with it is foreign (another format or version).
// Version 2: bf16 in nhwc where the CPU has AMX (layers::bf16_nhwc); version 1 timed it blocked.
inline constexpr std::string_view kWisdomHeader = "# dnntrain wisdom 2";

struct WisdomEntry {
  Precision precision = Precision::f32;
  PrecisionTiming timing;
};

struct Wisdom {
  std::map<std::string, WisdomEntry> entries;  // by key
  std::vector<std::string> notices;            // one line per ignored file or line
};

// $XDG_CACHE_HOME/dnntrain/wisdom.txt, else $HOME/.cache/dnntrain/wisdom.txt; "" when neither is set.
std::string default_wisdom_path();

// The entries of `path` (none when it does not exist). A foreign header, an unreadable or oversized
// file, a malformed line, and an entry whose precision disagrees with its timings are each skipped
// with one notice.
Wisdom read_wisdom(const std::string& path);

// Adds or replaces `key`'s entry: under an exclusive lock on `path`.lock, reads the file again,
// merges, and replaces it atomically (a concurrent writer's entries survive, a reader never sees a
// half-written file). Creates the folder. Returns a notice when it could not, else nullopt.
std::optional<std::string> store_wisdom(const std::string& path, const std::string& key, const WisdomEntry& entry);

// The text of one line and its parse (nullopt: malformed); exposed for the tests.
std::string wisdom_line(const std::string& key, const WisdomEntry& entry);
std::optional<std::pair<std::string, WisdomEntry>> parse_wisdom_line(const std::string& line);

}  // namespace dnntrain::engine
