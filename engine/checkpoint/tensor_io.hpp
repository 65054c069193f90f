// Moving one model tensor between its in-memory form (a blocked oneDNN memory, or a Buffer) and the
// plain little-endian bytes a checkpoint stores: oneDNN reorders through Parameter::plain_md, so
// padding is never written to the file and is rewritten as zeros on load.
#pragma once

#include <cstdint>
#include <dnnl.hpp>
#include <span>
#include <string>
#include <vector>

#include "engine/parameter.hpp"

namespace dnntrain::engine {

// The values of `blocked` (a memory with p's weight desc: the weight, its grad or optimizer state)
// in torch order. requires: p.plain_md describes p.elements() f32 values.
std::vector<float> to_plain(const Parameter& p, const dnnl::memory& blocked);
// Writes torch-order values into `blocked` by reorder; padding becomes zero.
// requires: `plain` holds p.elements() little-endian f32 (any alignment).
void from_plain(const Parameter& p, std::span<const uint8_t> plain, const dnnl::memory& blocked);

// Throws dnntrain::Error naming `name` and the first bad index if any value is NaN or infinite.
void check_finite(const std::string& name, std::span<const float> values);

}  // namespace dnntrain::engine
