// channel_layout: reads the blocking of a oneDNN memory desc into a ChannelLayout.
#include "layers/channel_layout.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"

namespace dnntrain::layers {

ChannelLayout channel_layout(const dnnl::memory::desc& md, const char* layer) {
  const dnnl_memory_desc_t& d = md.data;
  const auto fail = [&] {
    return dnntrain::Error(
        fmt::format("batch norm {}: unsupported activation layout (expected nchw, nhwc or "
                    "nChw8c/16c, f32 or bf16)",
                    layer));
  };
  if (d.ndims != 4 || d.format_kind != dnnl_blocked || (d.data_type != dnnl_f32 && d.data_type != dnnl_bf16))
    throw fail();
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  ChannelLayout l;
  l.batch = d.dims[0];
  l.channels = d.dims[1];
  l.spatial = d.dims[2] * d.dims[3];
  const int64_t w = d.dims[3];
  if (b.inner_nblks == 1 && b.inner_idxs[0] == 1) {
    l.block = b.inner_blks[0];
  } else if (b.inner_nblks == 0 && b.strides[1] == 1) {
    l.block = d.padded_dims[1];  // nhwc: all channels form one block
  } else if (b.inner_nblks != 0) {
    throw fail();
  }
  l.blocks = d.padded_dims[1] / l.block;
  l.sample_stride = b.strides[0];
  l.block_stride = l.blocks == 1 ? 0 : b.strides[1];
  // Spatial positions follow each other `step` apart (a stride over a dimension of size 1 is moot).
  const int64_t step = b.inner_nblks == 0 && l.block == 1 ? 1 : l.block;
  const bool spatial_dense = (w == 1 || b.strides[3] == step) && (d.dims[2] == 1 || b.strides[2] == w * step);
  if (!spatial_dense) throw fail();
  if (l.block == 1) l.block_stride = b.strides[1];
  return l;
}

}  // namespace dnntrain::layers
