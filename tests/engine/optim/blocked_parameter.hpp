// Test helpers: engine::Parameter objects built by hand in a chosen (blocked, possibly padded)
// layout, filled from plain values by oneDNN reorders, and read back; plus a padding mask.
// Shared by the optimizer and checkpoint tests.
#pragma once

#include <cstdint>
#include <dnnl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/parameter.hpp"

namespace dnntrain::testing {

using Tag = dnnl::memory::format_tag;

// A parameter of torch shape `shape` stored in `tag` (oneDNN dims: shape padded with 1s to 4-D for
// conv/fc weights when tag is 4-D). Weight and grad are allocated with dnnl::memory(desc, eng) and
// zero-filled by a reorder, so padding starts at zero.
std::unique_ptr<engine::Parameter> make_parameter(
    const dnnl::engine& eng, std::string name, std::vector<int64_t> shape, Tag plain, Tag blocked,
    engine::Parameter::Role role = engine::Parameter::Role::weight);

// Plain (row-major torch order) values <-> a blocked memory of the parameter, by reorder.
void write_plain(const engine::Parameter& p, const dnnl::memory& blocked, const std::vector<float>& values);
std::vector<float> read_plain(const engine::Parameter& p, const dnnl::memory& blocked);

// 1 where the blocked buffer holds a value, 0 where it pads; padded_elements() long.
std::vector<float> value_mask(const engine::Parameter& p);
// Number of elements of `m` that are padding (mask 0) and not exactly +0.0.
size_t nonzero_padding(const engine::Parameter& p, const dnnl::memory& m, const std::vector<float>& mask);

// Deterministic uniform values in [lo, hi) (SplitMix64), independent of the standard library.
std::vector<float> uniform_values(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f);

}  // namespace dnntrain::testing
