// cpu_cache_bytes: /sys/devices/system/cpu/cpu0/cache/indexK/{level,type,size}.
#include "engine/cpu_caches.hpp"

#include <fmt/format.h>

#include <fstream>
#include <string>

namespace dnntrain::engine {

size_t cpu_cache_bytes(int level) {
  for (int index = 0; index < 16; ++index) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", index);
    std::ifstream level_file(dir + "level"), type_file(dir + "type"), size_file(dir + "size");
    int found = 0;
    std::string type, size;
    if (!(level_file >> found)) break;
    if (found != level || !(type_file >> type) || type == "Instruction" || !(size_file >> size)) continue;
    size_t value = 0;
    size_t used = 0;
    try {
      value = std::stoull(size, &used);
    } catch (const std::exception&) {
      return 0;
    }
    const std::string unit = size.substr(used);
    return unit == "K" ? value << 10 : unit == "M" ? value << 20 : unit.empty() ? value : 0;
  }
  return 0;
}

}  // namespace dnntrain::engine
