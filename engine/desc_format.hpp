// Human-readable memory descriptors for plans, errors and tests: "32x64x56x56 f32 aBcd16b".
#pragma once

#include <string>

#include <dnnl.hpp>

namespace dnntrain::engine {

// The layout in oneDNN's tag spelling (outer dimensions by stride, then inner blocks), e.g.
// "abcd", "acdb", "aBcd16b", "ABcd16b16a".
std::string layout_of(const dnnl::memory::desc& md);
std::string describe(const dnnl::memory::desc& md);

}  // namespace dnntrain::engine
