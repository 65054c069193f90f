// A small, strict JSON parser for safetensors headers: no oneDNN and no third-party code, so the
// libFuzzer target compiles it in seconds. Bounded nesting, duplicate keys kept (the caller rejects
// them), numbers kept as their text; plus the string escaping the writer needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dnntrain::engine::json {

struct Member;

struct Value {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  std::string text;             // number: its literal; string: decoded UTF-8
  std::vector<Value> items;     // array
  std::vector<Member> members;  // object, in document order, duplicates kept

  // A number that is a non-negative integer literal fitting 64 bits (no sign, fraction, exponent).
  std::optional<uint64_t> as_u64() const;
};

// A struct rather than std::pair: pair<string, Value> would need Value complete (clang + libstdc++).
struct Member {
  std::string key;
  Value value;
};

// Parses one JSON value followed only by whitespace. On failure returns nullopt and sets `error`
// to what went wrong and the byte offset. Nesting deeper than `max_depth` is an error.
// requires: `text` is valid UTF-8 (the caller validates it; see valid_utf8).
std::optional<Value> parse(std::string_view text, std::string& error, int max_depth = 16);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

// `s` as a JSON string literal with quotes, escaped as serde_json does (", \, control characters).
std::string quote(std::string_view s);

}  // namespace dnntrain::engine::json
