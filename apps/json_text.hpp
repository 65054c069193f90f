// JSON string literals for the one-object outputs of eval --json and predict --json: any bytes
// (file names included) become valid JSON text.
#pragma once

#include <string>

namespace dnntrain::apps {

// `text` quoted: invalid UTF-8 replaced as engine::printable_utf8 does, '"', '\' and control
// characters escaped.
std::string json_string(const std::string& text);

}  // namespace dnntrain::apps
