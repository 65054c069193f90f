// The batch-norm passes on their own: streaming (non-temporal) stores write the same bits as plain
// stores, in every channel grouping (16 + 8 + single lanes) and on a misaligned output, for f32 and
// bf16 activations; bf16 stores round as engine::to_bf16, bit for bit, on awkward values; chunked
// passes give the same results as one pass over all channels.
#include "layers/batch_norm_kernels.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/bf16.hpp"
#include "tests/reference/tensor.hpp"

using namespace dnntrain;
using tag = dnnl::memory::format_tag;

namespace {

std::vector<float> random_values(size_t n, uint64_t seed) {
  reference::Tensor t = reference::make_tensor({static_cast<int64_t>(n)});
  reference::fill_random(t, seed);
  return t.data;
}

// Activations of element type T (float, or bf16 bits): random values, rounded to bf16 for bf16.
template <class T>
std::vector<T> random_activations(size_t n, uint64_t seed) {
  const std::vector<float> v = random_values(n, seed);
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    std::vector<T> bits(n);
    for (size_t i = 0; i < n; ++i) bits[i] = engine::to_bf16(v[i]);
    return bits;
  }
}

struct Case {
  std::vector<int64_t> dims;
  tag layout;
};

template <class T>
dnnl::memory::data_type data_type_of() {
  return std::is_same_v<T, float> ? dnnl::memory::data_type::f32 : dnnl::memory::data_type::bf16;
}

template <class T>
void check_streaming_matches_plain(const Case& c) {
  const dnnl::memory::desc md(c.dims, data_type_of<T>(), c.layout);
  const layers::ChannelLayout l = layers::channel_layout(md, "test");
  const size_t n = md.get_size() / sizeof(T), padded = static_cast<size_t>(l.blocks * l.block);
  CAPTURE(n);
  // One spare element in front, so that the outputs can also start misaligned for 16-byte stores.
  std::vector<T> x = random_activations<T>(n, 1), dy = random_activations<T>(n, 2);
  std::vector<float> scale = random_values(padded, 3), offset = random_values(padded, 4);
  std::vector<float> mean = random_values(padded, 5), k = random_values(padded, 6);
  std::vector<float> g_mean = random_values(padded, 7), input_scale = random_values(padded, 8);
  const std::vector<double> mean_d(mean.begin(), mean.end());
  const layers::ChannelAffine map{scale.data(), offset.data(), true};
  const layers::InputGradientTerms terms{mean.data(), k.data(), g_mean.data(), input_scale.data()};
  for (size_t shift : {size_t{0}, size_t{1}}) {
    CAPTURE(shift);
    std::vector<T> plain(n + 1), streamed(n + 1);
    layers::channel_affine(x.data(), plain.data() + shift, l, map, false);
    layers::channel_affine(x.data(), streamed.data() + shift, l, map, true);
    CHECK(std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(T)) == 0);
    for (bool streaming : {false, true}) {
      layers::ChannelSums sums;
      sums.resize(2, static_cast<int64_t>(padded));
      std::vector<double> sum_g(padded), sum_gx(padded);
      T* out = (streaming ? streamed : plain).data() + shift;
      layers::channel_backward_batch(
          x.data(), dy.data(), out, l, map, mean_d.data(), sums, sum_g.data(), sum_gx.data(),
          [](int64_t, int64_t) {}, terms, streaming);
    }
    CHECK(std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(T)) == 0);
  }
}

}  // namespace

TEST_CASE("batch_norm passes write the same bits with streaming stores as with plain ones") {
  // nChw16c: 16-lane groups; nhwc with 25 channels: 16 + 8 + 1 lanes; nChw8c: 8-lane groups.
  for (const Case& c :
       {Case{{2, 32, 5, 7}, tag::nChw16c}, Case{{3, 25, 4, 3}, tag::nhwc}, Case{{2, 13, 3, 5}, tag::nChw8c}})
    check_streaming_matches_plain<float>(c);
}

TEST_CASE("batch_norm passes on bf16 write the same bits with streaming stores as with plain ones") {
  // As for f32, and nhwc with 24 channels: 16 + 8 lanes, whose runs bf16 can stream (8 lanes each
  // 16 bytes); with 20 channels f32 could stream (4-lane groups), but bf16 runs are not 16-byte
  // aligned and must not.
  for (const Case& c :
       {Case{{2, 32, 5, 7}, tag::nChw16c}, Case{{3, 25, 4, 3}, tag::nhwc}, Case{{3, 24, 4, 3}, tag::nhwc},
        Case{{3, 20, 4, 3}, tag::nhwc}, Case{{2, 13, 3, 5}, tag::nChw8c}})
    check_streaming_matches_plain<uint16_t>(c);
}

// f32 values whose rounding to bf16 is awkward: ties to even (both ways, both signs), just off a
// tie, the largest bf16 and what rounds past it to infinity, denormals (which become signed
// zeros, the largest too, as oneDNN converts them), NaNs (quiet, signalling, negative, a
// payload only in the lower half, and lower halves that rounding would carry into the upper half:
// to another NaN, or across the sign to -0), infinities and zeros, and plain values.
constexpr uint32_t kAwkwardBits[] = {0x3f808000, 0x3f818000, 0xbf808000, 0xbf818000, 0x3f808001, 0x3f817fff,
                                     0x7f7f0000, 0x7f7f7fff, 0x7f7f8000, 0x7f7fffff, 0xff7f8000, 0x00000001,
                                     0x00008000, 0x00018000, 0x00010000, 0x007fffff, 0x807fffff, 0x80008000,
                                     0x7fc00000, 0x7f800001, 0xffa50000, 0x7fff0001, 0x7fc18000, 0xffc08001,
                                     0x7fffffff, 0x7f800000, 0xff800000, 0x00000000, 0x80000000, 0x3eaaaaab,
                                     0xc2f6e979, 0x00800000, 0x0001ffff};

// The stores of bf16 outputs against engine::to_bf16. With x = 1 (bf16 0x3f80), scale[c] = v and
// offset = -0, the affine pass computes 1·v + (-0) = v exactly, fused or not (NaN made quiet,
// which to_bf16 does too); with dy = x = mean = 1, k = g_mean = 0 and scale[c] = v, the input
// gradient is (1 - 0·0 - 0)·v = v. Rotating the values over the channels puts each in every lane of
// every grouping: 16 + 8 + 1 lanes (nhwc 25), 16 + 8 (nhwc 24), 16 (nChw16c), 8 (nChw8c), 1 (nchw).
TEST_CASE("batch_norm's bf16 stores round as engine::to_bf16, bit for bit, in every lane grouping") {
  constexpr size_t values = std::size(kAwkwardBits);
  for (const Case& c :
       {Case{{2, 25, 3, 1}, tag::nhwc}, Case{{2, 24, 1, 3}, tag::nhwc}, Case{{2, 32, 3, 1}, tag::nChw16c},
        Case{{2, 13, 1, 3}, tag::nChw8c}, Case{{2, 5, 3, 1}, tag::nchw}}) {
    const dnnl::memory::desc md(c.dims, dnnl::memory::data_type::bf16, c.layout);
    const layers::ChannelLayout l = layers::channel_layout(md, "test");
    const size_t n = md.get_size() / sizeof(uint16_t), padded = static_cast<size_t>(l.blocks * l.block);
    CAPTURE(c.dims[1]);
    CAPTURE(l.block);
    const std::vector<uint16_t> ones(n, engine::to_bf16(1.f));
    std::vector<float> scale(padded), offset(padded, -0.f), zeros(padded, 0.f), ones_f(padded, 1.f);
    const std::vector<double> ones_d(padded, 1.0);
    // 16-byte aligned outputs, so that streaming stores are used where the layout allows them.
    std::vector<uint16_t> storage(n + 8);
    uint16_t* out = storage.data() + (16 - reinterpret_cast<uintptr_t>(storage.data()) % 16) % 16 / 2;
    for (size_t r = 0; r < values; ++r) {
      for (size_t ch = 0; ch < padded; ++ch)
        scale[ch] = std::bit_cast<float>(kAwkwardBits[(ch + r) % values]);
      const layers::ChannelAffine map{scale.data(), offset.data(), false};
      for (bool streaming : {false, true}) {
        for (bool backward : {false, true}) {
          std::memset(out, 0xa5, n * sizeof(uint16_t));
          if (backward) {
            layers::ChannelSums sums;
            sums.resize(2, static_cast<int64_t>(padded));
            std::vector<double> sum_g(padded), sum_gx(padded);
            layers::channel_backward_batch(
                ones.data(), ones.data(), out, l, map, ones_d.data(), sums, sum_g.data(), sum_gx.data(),
                [](int64_t, int64_t) {}, {ones_f.data(), zeros.data(), zeros.data(), scale.data()},
                streaming);
          } else {
            layers::channel_affine(ones.data(), out, l, map, streaming);
          }
          size_t wrong = 0, first = 0;
          for (int64_t i = 0; i < l.batch; ++i)
            for (int64_t b = 0; b < l.blocks; ++b)
              for (int64_t s = 0; s < l.spatial; ++s)
                for (int64_t j = 0; j < l.block; ++j) {
                  const uint16_t want = engine::to_bf16(scale[b * l.block + j]);
                  const uint16_t got = l.run(out, i, b)[s * l.block + j];
                  if (got != want && wrong++ == 0) first = static_cast<size_t>(b * l.block + j);
                }
          char bits[16];
          std::snprintf(bits, sizeof bits, "0x%08x", std::bit_cast<uint32_t>(scale[first]));
          INFO("rotation " << r << ", streaming " << streaming << ", backward " << backward << ": " << wrong
                           << " wrong, first at channel " << first << " for f32 bits " << bits);
          CHECK(wrong == 0);
        }
      }
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

// A chunk's inputs fill at most chunk_bytes counted in the activations' own element size: the same
// budget holds twice the channel blocks in bf16 as in f32 (forward reads x; backward x and dy).
TEST_CASE("batch_norm passes size their chunks by the element size: bf16 chunks hold twice the blocks") {
  const std::vector<int64_t> dims{3, 64, 5, 4};
  const int64_t padded = 64, block_values = 3 * 5 * 4 * 16;
  const auto chunks = [&](auto element, int tensors) {
    using T = decltype(element);
    const bool bf16 = std::is_same_v<T, uint16_t>;
    const dnnl::memory::desc md(dims, bf16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32,
                                tag::nChw16c);
    const layers::ChannelLayout l = layers::channel_layout(md, "test");
    const std::vector<T> x(static_cast<size_t>(md.get_size() / sizeof(T))), dy = x;
    std::vector<T> out = x;
    std::vector<float> zeros(padded);
    std::vector<double> shift(padded), s1(padded), s2(padded);
    layers::ChannelSums sums;
    sums.resize(2, padded);
    const layers::ChannelAffine map{zeros.data(), zeros.data(), false};
    std::vector<std::pair<int64_t, int64_t>> seen;
    const auto between = [&](int64_t c0, int64_t c1) { seen.emplace_back(c0, c1); };
    // Room for two f32 blocks of every input tensor.
    const size_t chunk_bytes = static_cast<size_t>(2 * block_values) * sizeof(float) * tensors;
    if (tensors == 1)
      layers::channel_normalize_batch(x.data(), out.data(), l, shift.data(), sums, s1.data(), s2.data(),
                                      between, map, false, chunk_bytes);
    else
      layers::channel_backward_batch(
          x.data(), dy.data(), out.data(), l, map, shift.data(), sums, s1.data(), s2.data(), between,
          {zeros.data(), zeros.data(), zeros.data(), zeros.data()}, false, chunk_bytes);
    return seen;
  };
  using Chunks = std::vector<std::pair<int64_t, int64_t>>;
  for (int tensors : {1, 2}) {
    CAPTURE(tensors);
    CHECK(chunks(float{}, tensors) == Chunks{{0, 32}, {32, 64}});
    CHECK(chunks(uint16_t{}, tensors) == Chunks{{0, 64}});
  }
}

namespace {

// Both passes of training over one batch in `layout`, on one thread, from the same logical values
// (placed through ChannelLayout); returns the channel sums and y, dx in logical (n, c, s) order.
template <class T>
struct TwoPassResult {
  std::vector<double> s1, s2, g1, g2;
  std::vector<T> y, dx;
};

template <class T>
TwoPassResult<T> both_passes(const std::vector<int64_t>& dims, tag layout) {
  const dnnl::memory::desc md(dims, data_type_of<T>(), layout);
  const layers::ChannelLayout l = layers::channel_layout(md, "test");
  const int64_t channels = dims[1], count = dims[0] * channels * l.spatial;
  const size_t stored = md.get_size() / sizeof(T), padded = static_cast<size_t>(l.blocks * l.block);
  const std::vector<T> x_logical = random_activations<T>(count, 21), dy_logical = random_activations<T>(count, 22);
  const auto at = [&](int64_t n, int64_t c, int64_t s) {
    return n * l.sample_stride + (c / l.block) * l.block_stride + s * l.block + c % l.block;
  };
  std::vector<T> x(stored), dy(stored), y(stored), dx(stored);
  int64_t i = 0;
  for (int64_t n = 0; n < dims[0]; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < l.spatial; ++s, ++i) x[at(n, c, s)] = x_logical[i], dy[at(n, c, s)] = dy_logical[i];
  TwoPassResult<T> r{std::vector<double>(padded), std::vector<double>(padded), std::vector<double>(padded),
                     std::vector<double>(padded), {}, {}};
  layers::ChannelSums sums;
  sums.resize(1, static_cast<int64_t>(padded));
  std::vector<double> shift(padded, 0.1), mean(padded);
  std::vector<float> scale(padded), offset(padded), mean_f(padded), k(padded), g_mean(padded), input_scale(padded);
  const double per_channel = static_cast<double>(dims[0] * l.spatial);
  const layers::ChannelAffine map{scale.data(), offset.data(), true};
  layers::channel_normalize_batch(
      x.data(), y.data(), l, shift.data(), sums, r.s1.data(), r.s2.data(),
      [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          mean[c] = shift[c] + r.s1[c] / per_channel;
          scale[c] = static_cast<float>(1 + c % 3);
          offset[c] = static_cast<float>(-mean[c] * scale[c]);
        }
      },
      map, false);
  layers::channel_backward_batch(
      x.data(), dy.data(), dx.data(), l, map, mean.data(), sums, r.g1.data(), r.g2.data(),
      [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          mean_f[c] = static_cast<float>(mean[c]);
          k[c] = static_cast<float>(r.g2[c] / per_channel);
          g_mean[c] = static_cast<float>(r.g1[c] / per_channel);
          input_scale[c] = scale[c];
        }
      },
      {mean_f.data(), k.data(), g_mean.data(), input_scale.data()}, false);
  for (int64_t n = 0; n < dims[0]; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < l.spatial; ++s) r.y.push_back(y[at(n, c, s)]), r.dx.push_back(dx[at(n, c, s)]);
  r.s1.resize(channels), r.s2.resize(channels), r.g1.resize(channels), r.g2.resize(channels);
  return r;
}

template <class T>
void check_tiles_match_blocked(const std::vector<int64_t>& dims) {
  const TwoPassResult<T> tiled = both_passes<T>(dims, tag::nhwc), blocked = both_passes<T>(dims, tag::nChw16c);
  CHECK(tiled.s1 == blocked.s1);
  CHECK(tiled.s2 == blocked.s2);
  CHECK(tiled.g1 == blocked.g1);
  CHECK(tiled.g2 == blocked.g2);
  CHECK(std::memcmp(tiled.y.data(), blocked.y.data(), tiled.y.size() * sizeof(T)) == 0);
  CHECK(std::memcmp(tiled.dx.data(), blocked.dx.data(), tiled.dx.size() * sizeof(T)) == 0);
}

}  // namespace

// An nhwc run of more than 16 channels is taken in spatial tiles, its sums carried from tile to
// tile: 64 channels × 20×20 positions make 13 tiles in f32 (32 positions each, the last 16) and 7 in
// bf16. On one thread each channel's sums are then the same chain of additions as in nChw16c, whose
// runs are untiled: every sum and output must agree bit for bit.
TEST_CASE("batch_norm's spatial tiles of nhwc runs give the same bits as untiled nChw16c runs") {
  check_tiles_match_blocked<float>({2, 64, 20, 20});
  check_tiles_match_blocked<uint16_t>({2, 64, 20, 20});
  check_tiles_match_blocked<float>({1, 48, 7, 9});  // 63 positions: one f32 tile of 42, then 21
}
