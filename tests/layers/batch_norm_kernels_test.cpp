// The batch-norm passes on their own: streaming (non-temporal) stores write the same bits as plain
// stores, in every channel grouping (16 + 8 + single lanes) and on a misaligned output.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "layers/batch_norm_kernels.hpp"
#include "tests/reference/tensor.hpp"

using namespace dnntrain;
using tag = dnnl::memory::format_tag;

namespace {

std::vector<float> random_values(size_t n, uint64_t seed) {
  reference::Tensor t = reference::make_tensor({static_cast<int64_t>(n)});
  reference::fill_random(t, seed);
  return t.data;
}

struct Case {
  std::vector<int64_t> dims;
  tag layout;
};

}  // namespace

TEST_CASE("batch_norm passes write the same bits with streaming stores as with plain ones") {
  // nChw16c: 16-lane groups; nhwc with 25 channels: 16 + 8 + 1 lanes; nChw8c: 8-lane groups.
  for (const Case& c : {Case{{2, 32, 5, 7}, tag::nChw16c}, Case{{3, 25, 4, 3}, tag::nhwc},
                        Case{{2, 13, 3, 5}, tag::nChw8c}}) {
    const dnnl::memory::desc md(c.dims, dnnl::memory::data_type::f32, c.layout);
    const layers::ChannelLayout l = layers::channel_layout(md, "test");
    const size_t n = md.get_size() / sizeof(float), padded = static_cast<size_t>(l.blocks * l.block);
    CAPTURE(n);
    // One spare float in front, so that the outputs can also start misaligned for 16-byte stores.
    std::vector<float> x = random_values(n, 1), dy = random_values(n, 2);
    std::vector<float> scale = random_values(padded, 3), offset = random_values(padded, 4);
    std::vector<float> mean = random_values(padded, 5), k = random_values(padded, 6);
    std::vector<float> g_mean = random_values(padded, 7), input_scale = random_values(padded, 8);
    const layers::ChannelAffine map{scale.data(), offset.data(), true};
    const layers::InputGradientTerms terms{mean.data(), k.data(), g_mean.data(), input_scale.data()};
    for (size_t shift : {size_t{0}, size_t{1}}) {
      CAPTURE(shift);
      std::vector<float> plain(n + 1), streamed(n + 1);
      layers::channel_affine(x.data(), plain.data() + shift, l, map, false);
      layers::channel_affine(x.data(), streamed.data() + shift, l, map, true);
      CHECK(std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(float)) == 0);
      layers::channel_input_gradient(x.data(), dy.data(), plain.data() + shift, l, map, terms, false);
      layers::channel_input_gradient(x.data(), dy.data(), streamed.data() + shift, l, map, terms, true);
      CHECK(std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(float)) == 0);
    }
  }
}
