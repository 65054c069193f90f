// channel_layout: reads the blocking of a oneDNN memory desc into a ChannelLayout.
#include "layers/channel_layout.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"

namespace dnntrain::layers {

ChannelLayout channel_layout(const dnnl::memory::desc& md, const char* layer) {
  using dt = dnnl::memory::data_type;
  const auto fail = [&] {
    return dnntrain::Error(
        fmt::format("batch norm {}: unsupported activation layout (expected nchw, nhwc or "
                    "nChw8c/16c, f32 or bf16)",
                    layer));
  };
  if (md.get_ndims() != 4 || md.get_format_kind() != dnnl::memory::format_kind::blocked ||
      (md.get_data_type() != dt::f32 && md.get_data_type() != dt::bf16))
    throw fail();
  const dnnl::memory::dims dims = md.get_dims(), padded = md.get_padded_dims(), strides = md.get_strides();
  const dnnl::memory::dims inner_blks = md.get_inner_blks(), inner_idxs = md.get_inner_idxs();
  const size_t nblks = inner_blks.size();
  ChannelLayout l;
  l.batch = dims[0];
  l.channels = dims[1];
  l.spatial = dims[2] * dims[3];
  const int64_t w = dims[3];
  if (nblks == 1 && inner_idxs[0] == 1) {
    l.block = inner_blks[0];
  } else if (nblks == 0 && strides[1] == 1) {
    l.block = padded[1];  // nhwc: all channels form one block
  } else if (nblks != 0) {
    throw fail();
  }
  l.blocks = padded[1] / l.block;
  l.sample_stride = strides[0];
  l.block_stride = l.blocks == 1 ? 0 : strides[1];
  // Spatial positions follow each other `step` apart (a stride over a dimension of size 1 is moot).
  const int64_t step = nblks == 0 && l.block == 1 ? 1 : l.block;
  const bool spatial_dense = (w == 1 || strides[3] == step) && (dims[2] == 1 || strides[2] == w * step);
  if (!spatial_dense) throw fail();
  if (l.block == 1) l.block_stride = strides[1];
  return l;
}

}  // namespace dnntrain::layers
