// dnntrain::Error, the one exception type of the library, and DNNTRAIN_CHECK.
// Header-only so that data/, which never links the engine, throws the same type.
#pragma once

#include <stdexcept>
#include <string>

namespace dnntrain {

// Thrown for every expected failure: bad input, bad configuration, a corrupt file.
// The message names the thing (file, key, layer, option) and what to do about it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dnntrain

// DNNTRAIN_CHECK(cond, message): throws dnntrain::Error(message) when cond is false.
// `message` is any expression convertible to std::string; it is only evaluated on failure.
#define DNNTRAIN_CHECK(cond, message)                  \
  do {                                                 \
    if (!(cond)) throw ::dnntrain::Error(message);     \
  } while (false)
