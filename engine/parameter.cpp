// Parameter helpers that need no oneDNN execution.
#include "engine/parameter.hpp"

namespace dnntrain::engine {

size_t Parameter::elements() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace dnntrain::engine
