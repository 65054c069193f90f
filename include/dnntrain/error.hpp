// dnntrain::Error, the one exception type of the library (public: embedding programs catch it).
#pragma once

#include <stdexcept>
#include <string>

namespace dnntrain {

// Thrown for every expected failure: bad input, bad configuration, a corrupt file, a call out of
// order. The message names the thing (file, key, layer, option, call) and what to do about it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dnntrain
