// Training batch norm with a fused ReLU, forward and backward, on nChw16c activations: our passes
// (layers/batch_norm_kernels) against oneDNN 2.6's batch_normalization (use_scale_shift |
// fuse_norm_relu, workspace mask), alternating, best of --reps. Prints two lines per shape: f32
// activations, then bf16 activations (ours and oneDNN's both in bf16).
//   batch_norm_bench [N C H ...]   (default: ResNet-50's and ResNet-20's batch-norm shapes)
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dnnl.hpp>
#include <vector>

#include "engine/bf16.hpp"
#include "layers/batch_norm_kernels.hpp"

using namespace dnntrain::layers;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// n activations of type T (float, or bf16 bits), 64-byte aligned.
template <class T>
struct Aligned {
  explicit Aligned(size_t n) : p(static_cast<T*>(std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64))) {
    for (size_t i = 0; i < n; ++i) {
      const float v = static_cast<float>(i % 7) * 0.1f - 0.3f;
      if constexpr (std::is_same_v<T, float>)
        p[i] = v;
      else
        p[i] = dnntrain::engine::to_bf16(v);
    }
  }
  ~Aligned() { std::free(p); }
  T* p;
};

template <class T>
void bench(int n, int c, int h, int reps) {
  using dnnl::memory;
  constexpr bool bf16 = std::is_same_v<T, uint16_t>;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  const memory::desc md({n, c, h, h}, bf16 ? memory::data_type::bf16 : memory::data_type::f32,
                        memory::format_tag::nChw16c);
  const ChannelLayout l = channel_layout(md, "bench");
  const size_t size = md.get_size() / sizeof(T);
  const int64_t padded = l.blocks * l.block;
  Aligned<T> x(size), dy(size), y(size), dx(size);
  ChannelSums sums;
  sums.resize(omp_get_max_threads(), padded);
  std::vector<double> shift(padded, 0.1), mean(padded, 0.1), s1(padded), s2(padded);
  std::vector<float> scale(padded, 1.f), offset(padded, -0.1f), mean_f(padded, 0.1f), k(padded, 0.01f),
      g_mean(padded, 0.01f);
  const ChannelAffine map{scale.data(), offset.data(), true};
  const bool streaming = streams_outputs(l, sizeof(T));
  const auto nothing = [](int64_t, int64_t) {};

  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift |
                     dnnl::normalization_flags::fuse_norm_relu;
  const dnnl::batch_normalization_forward::primitive_desc fpd(eng, dnnl::prop_kind::forward_training, md, md,
                                                              1e-5f, flags);
  const dnnl::batch_normalization_backward::primitive_desc bpd(eng, dnnl::prop_kind::backward, md, md, md, 1e-5f,
                                                               flags, fpd);
  memory X(md, eng, x.p), Y(md, eng, y.p), DY(md, eng, dy.p), DX(md, eng, dx.p);
  const memory::desc channel_md({c}, memory::data_type::f32, memory::format_tag::x);
  memory scale_mem(channel_md, eng), shift_mem(channel_md, eng), diff_scale(channel_md, eng),
      diff_shift(channel_md, eng), m(fpd.mean_desc(), eng), v(fpd.variance_desc(), eng), ws(fpd.workspace_desc(), eng);
  std::fill_n(static_cast<float*>(scale_mem.get_data_handle()), c, 1.f);
  std::fill_n(static_cast<float*>(shift_mem.get_data_handle()), c, 0.f);
  dnnl::batch_normalization_forward fwd(fpd);
  dnnl::batch_normalization_backward bwd(bpd);

  double best[4] = {1e30, 1e30, 1e30, 1e30};
  for (int r = 0; r < reps; ++r) {
    const double t0 = now_ms();
    channel_normalize_batch(x.p, y.p, l, shift.data(), sums, s1.data(), s2.data(), nothing, map, streaming);
    const double t1 = now_ms();
    channel_backward_batch(x.p, dy.p, dx.p, l, map, mean.data(), sums, s1.data(), s2.data(), nothing,
                           {mean_f.data(), k.data(), g_mean.data(), scale.data()}, streaming);
    const double t2 = now_ms();
    fwd.execute(s, {{DNNL_ARG_SRC, X},
                    {DNNL_ARG_DST, Y},
                    {DNNL_ARG_SCALE, scale_mem},
                    {DNNL_ARG_SHIFT, shift_mem},
                    {DNNL_ARG_MEAN, m},
                    {DNNL_ARG_VARIANCE, v},
                    {DNNL_ARG_WORKSPACE, ws}});
    s.wait();
    const double t3 = now_ms();
    bwd.execute(s, {{DNNL_ARG_SRC, X},
                    {DNNL_ARG_DIFF_DST, DY},
                    {DNNL_ARG_SCALE, scale_mem},
                    {DNNL_ARG_SHIFT, shift_mem},
                    {DNNL_ARG_MEAN, m},
                    {DNNL_ARG_VARIANCE, v},
                    {DNNL_ARG_WORKSPACE, ws},
                    {DNNL_ARG_DIFF_SRC, DX},
                    {DNNL_ARG_DIFF_SCALE, diff_scale},
                    {DNNL_ARG_DIFF_SHIFT, diff_shift}});
    s.wait();
    const double t4 = now_ms();
    const double t[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
    for (int i = 0; i < 4; ++i) best[i] = std::min(best[i], t[i]);
  }
  std::printf(
      "%-4s %3d x %4d x %3d^2 (%6.1f MB)%-9s | forward ours %7.3f ms, oneDNN %7.3f ms (%.2fx) | "
      "backward ours %7.3f ms, oneDNN %7.3f ms (%.2fx)\n",
      bf16 ? "bf16" : "f32", n, c, h, static_cast<double>(size * sizeof(T)) / 1e6,
      streaming ? " streamed" : "", best[0], best[2], best[0] / best[2], best[1], best[3], best[1] / best[3]);
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = 10;
  std::printf("threads %d, best of %d\n", omp_get_max_threads(), reps);
  if (argc > 3) {
    for (int i = 1; i + 2 < argc; i += 3) {
      bench<float>(std::atoi(argv[i]), std::atoi(argv[i + 1]), std::atoi(argv[i + 2]), reps);
      bench<uint16_t>(std::atoi(argv[i]), std::atoi(argv[i + 1]), std::atoi(argv[i + 2]), reps);
    }
    return 0;
  }
  // ResNet-50 b32 224²: stem, layer1..4 (inner and outer widths); ResNet-20 b128 1×28².
  for (const auto& [n, c, h] : std::vector<std::array<int, 3>>{{32, 64, 112},
                                                               {32, 64, 56},
                                                               {32, 256, 56},
                                                               {32, 128, 28},
                                                               {32, 512, 28},
                                                               {32, 256, 14},
                                                               {32, 1024, 14},
                                                               {32, 512, 7},
                                                               {32, 2048, 7},
                                                               {128, 16, 28},
                                                               {128, 32, 14},
                                                               {128, 64, 7}}) {
    bench<float>(n, c, h, reps);
    bench<uint16_t>(n, c, h, reps);
  }
}
