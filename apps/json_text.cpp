// Escaping for JSON string literals.
#include "apps/json_text.hpp"

#include <fmt/format.h>

#include "engine/utf8.hpp"

namespace dnntrain::apps {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char ch : engine::printable_utf8(text)) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\')
      out += std::string("\\") + ch;
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\u{:04x}", c);
    else
      out += ch;
  }
  return out + "\"";
}

}  // namespace dnntrain::apps
