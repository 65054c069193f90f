// Text that every file dnntrain writes can hold: well-formed UTF-8 (safetensors headers, JSON lines
// and SVG require it) without control characters (which break lines and XML). Header-only, so
// that data/ checks folder names with the same rule as the writers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dnntrain::engine {

// The length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0 when the bytes
// there are not one (a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate, or a code point above U+10FFFF). requires: i < s.size().
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0)
    len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

inline bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

// Why `s` cannot be a name in dnntrain's files ("is not valid UTF-8 at byte 3", "holds a control
// character (byte 0x0a) at byte 5"), or "" when it can.
inline std::string name_problem(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_sequence_length(s, i);
    if (len == 0) return "is not valid UTF-8 at byte " + std::to_string(i);
    if (len == 1 && is_control(static_cast<unsigned char>(s[i]))) {
      static const char* hex = "0123456789abcdef";
      const auto c = static_cast<unsigned char>(s[i]);
      return std::string("holds a control character (byte 0x") + hex[c >> 4] + hex[c & 15] + ") at byte " +
             std::to_string(i);
    }
    i += len;
  }
  return {};
}

// `s` with every byte that is not part of well-formed UTF-8, and every control character, replaced
// by U+FFFD: text that can be shown in any UTF-8 file (a title drawn from a folder's name).
inline std::string printable_utf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_sequence_length(s, i);
    if (len == 0 || (len == 1 && is_control(static_cast<unsigned char>(s[i])))) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace dnntrain::engine
