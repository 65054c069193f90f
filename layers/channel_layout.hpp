// Where channel c of sample n sits in a 4-D activation, for the per-channel kernels of batch norm.
// Covers the layouts oneDNN gives activations: plain nchw, nhwc, and channel-blocked nChw8c/16c, of
// f32 or bf16 elements (strides count elements, so one layout serves both).
#pragma once

#include <cstdint>
#include <dnnl.hpp>

namespace dnntrain::layers {

// Element (n, c, s) of a tensor with spatial index s = h·W + w sits at
//   n·sample_stride + (c / block)·block_stride + s·block + c % block.
// nchw is block 1, nhwc is one block of all (padded) channels, nChw16c is block 16.
struct ChannelLayout {
  int64_t batch = 0, channels = 0, spatial = 0;
  int64_t block = 1, blocks = 0;  // blocks · block = the padded channel count
  int64_t sample_stride = 0, block_stride = 0;

  // Elements per channel in one step: N·H·W.
  int64_t per_channel() const { return batch * spatial; }
  // The first element of (sample n, block b), for any element type (float, or bf16 bits).
  template <class T>
  T* run(T* base, int64_t n, int64_t b) const {
    return base + n * sample_stride + b * block_stride;
  }
};

// throws: dnntrain::Error naming `layer` when the desc is not one of the layouts above.
ChannelLayout channel_layout(const dnnl::memory::desc& md, const char* layer);

}  // namespace dnntrain::layers
