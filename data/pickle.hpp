// A minimal, bounds-checked reader of Python pickles, for exactly what torchvision's CIFAR archives
// hold (cifar-10-batches-py, cifar-100-python): a dict of strings, lists of ints and one NumPy
// uint8 array, written by Python 2 (protocol 2, str as BINSTRING) or Python 3 (bytes through
// _codecs.encode). It builds values and never calls anything: a global is only a name, and a
// reduce is kept as (callable, args) unless it is _codecs.encode, whose result is computed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dnntrain::data {

struct PickleValue {
  enum class Kind { none, boolean, integer, real, bytes, text, list, tuple, dict, global, reduced };
  Kind kind = Kind::none;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // bytes, or text (UTF-8); global: "module name"
  std::vector<std::shared_ptr<PickleValue>> items;  // list, tuple; dict: key, value, key, value, ...
  std::shared_ptr<PickleValue> callable, args, state;  // reduced (state: from BUILD, may be null)
  int depth = 0;  // containers below this one (bounded: destruction recurses)

  // A dict's value under the key `key` given as bytes or text; null if absent.
  const PickleValue* find(const std::string& key) const;
  // bytes or text with `content`.
  bool is_string(const std::string& content) const;
};

// Parses `data` (the whole file). Throws dnntrain::Error starting with `name` on a truncated or
// malformed stream, an opcode outside the supported set, or nesting and memo sizes beyond bounds.
std::shared_ptr<PickleValue> read_pickle(const std::vector<uint8_t>& data, const std::string& name);

}  // namespace dnntrain::data
