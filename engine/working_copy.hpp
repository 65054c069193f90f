// Working copies (engine/parameter.hpp): where each weight element sits in a bf16 layout, and the
// rounding pass that writes them.
#pragma once

#include <cstddef>

#include <dnnl.hpp>

#include "engine/parameter.hpp"

namespace dnntrain::engine {

// A working copy in `bf16` (a bf16 desc of the weight's dimensions) of a weight laid out as
// `weight_md` (f32). The offset map is computed by reordering the bf16 layout's own element
// offsets, as s32, into the weight's layout: oneDNN's reorder decides where each element goes.
WorkingCopy make_working_copy(const dnnl::memory::desc& weight_md, dnnl::memory bf16, const dnnl::engine& engine);

// Writes elements [begin, begin + count) of the weight's physical buffer into the copy, rounded
// to nearest even; padding elements are skipped.
void write_working_copy(const float* weight, size_t begin, size_t count, const WorkingCopy& copy);

}  // namespace dnntrain::engine
