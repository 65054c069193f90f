// A safetensors tensor's values as a vector, for tests that read fixtures written by PyTorch.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors.hpp"

namespace dnntrain::testing {

// The bytes of tensor `name` of `file` as T values (little-endian, as safetensors stores them).
template <class T>
std::vector<T> values(const engine::Safetensors& file, const std::string& name) {
  const auto bytes = file.bytes(file.at(name));
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace dnntrain::testing
