// The batch-norm passes on their own: streaming (non-temporal) stores write the same bits as plain
// stores, in every channel grouping (16 + 8 + single lanes) and on a misaligned output; chunked
// passes give the same results as one pass over all channels.
#include "layers/batch_norm_kernels.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

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
    const std::vector<double> mean_d(mean.begin(), mean.end());
    const layers::ChannelAffine map{scale.data(), offset.data(), true};
    const layers::InputGradientTerms terms{mean.data(), k.data(), g_mean.data(), input_scale.data()};
    for (size_t shift : {size_t{0}, size_t{1}}) {
      CAPTURE(shift);
      std::vector<float> plain(n + 1), streamed(n + 1);
      layers::channel_affine(x.data(), plain.data() + shift, l, map, false);
      layers::channel_affine(x.data(), streamed.data() + shift, l, map, true);
      CHECK(std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(float)) == 0);
      for (bool streaming : {false, true}) {
        layers::ChannelSums sums;
        sums.resize(2, static_cast<int64_t>(padded));
        std::vector<double> sum_g(padded), sum_gx(padded);
        float* out = (streaming ? streamed : plain).data() + shift;
        layers::channel_backward_batch(
            x.data(), dy.data(), out, l, map, mean_d.data(), sums, sum_g.data(), sum_gx.data(),
            [](int64_t, int64_t) {}, terms, streaming);
      }
      CHECK(std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(float)) == 0);
    }
  }
}

// Chunks of one channel block against one chunk of all blocks: the same statistics (up to the
// order of double additions: the team splits each chunk's runs afresh) and the same outputs.
TEST_CASE("batch_norm passes give the same results chunk by chunk as over all channels at once") {
  const dnnl::memory::desc md({3, 48, 5, 4}, dnnl::memory::data_type::f32, tag::nChw16c);
  const layers::ChannelLayout l = layers::channel_layout(md, "test");
  const size_t n = md.get_size() / sizeof(float), padded = 48;
  const std::vector<float> x = random_values(n, 11), dy = random_values(n, 12);
  struct Result {
    std::vector<double> s1, s2, g1, g2;
    std::vector<float> y, dx;
    std::vector<std::pair<int64_t, int64_t>> chunks;
  };
  const auto run = [&](size_t chunk_bytes) {
    Result r{std::vector<double>(padded),
             std::vector<double>(padded),
             std::vector<double>(padded),
             std::vector<double>(padded),
             std::vector<float>(n),
             std::vector<float>(n),
             {}};
    layers::ChannelSums sums;
    sums.resize(2, static_cast<int64_t>(padded));
    std::vector<double> shift(padded, 0.1), mean(padded);
    std::vector<float> scale(padded), offset(padded), mean_f(padded), k(padded), g_mean(padded),
        input_scale(padded);
    const layers::ChannelAffine map{scale.data(), offset.data(), true};
    layers::channel_normalize_batch(
        x.data(), r.y.data(), l, shift.data(), sums, r.s1.data(), r.s2.data(),
        [&](int64_t c0, int64_t c1) {
          r.chunks.emplace_back(c0, c1);
          for (int64_t c = c0; c < c1; ++c) {
            mean[c] = shift[c] + r.s1[c] / 60;
            scale[c] = static_cast<float>(1 + c % 3);
            offset[c] = static_cast<float>(-mean[c] * scale[c]);
          }
        },
        map, false, chunk_bytes);
    layers::channel_backward_batch(
        x.data(), dy.data(), r.dx.data(), l, map, mean.data(), sums, r.g1.data(), r.g2.data(),
        [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; ++c) {
            mean_f[c] = static_cast<float>(mean[c]);
            k[c] = static_cast<float>(r.g2[c] / 60);
            g_mean[c] = static_cast<float>(r.g1[c] / 60);
            input_scale[c] = scale[c];
          }
        },
        {mean_f.data(), k.data(), g_mean.data(), input_scale.data()}, false, chunk_bytes);
    return r;
  };
  const Result whole = run(size_t{1} << 30), chunked = run(1);
  CHECK(whole.chunks == std::vector<std::pair<int64_t, int64_t>>{{0, 48}});
  CHECK(chunked.chunks == std::vector<std::pair<int64_t, int64_t>>{{0, 16}, {16, 32}, {32, 48}});
  for (size_t c = 0; c < padded; ++c) {
    CAPTURE(c);
    CHECK(chunked.s1[c] == doctest::Approx(whole.s1[c]).epsilon(1e-12));
    CHECK(chunked.s2[c] == doctest::Approx(whole.s2[c]).epsilon(1e-12));
    CHECK(chunked.g1[c] == doctest::Approx(whole.g1[c]).epsilon(1e-12));
    CHECK(chunked.g2[c] == doctest::Approx(whole.g2[c]).epsilon(1e-12));
  }
  for (size_t i = 0; i < n; ++i) {
    CHECK(chunked.y[i] == doctest::Approx(whole.y[i]).epsilon(1e-6));
    CHECK(chunked.dx[i] == doctest::Approx(whole.dx[i]).epsilon(1e-5));
  }
}
