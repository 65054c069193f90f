// Twelve independent accumulators hide the FMA latency (4 cycles × 2 ports needs at least 8); the
// results are summed into a volatile so the compiler keeps the loops. Each ISA variant is compiled
// for its own target and chosen at run time, so the binary stays portable.
#include "apps/peak_flops.hpp"

#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/precision.hpp"

namespace dnntrain::apps {

namespace {

constexpr long kIterations = 8'000'000;  // × 12 (bf16: 16) vector instructions per thread and run
constexpr int kRuns = 5;                 // the best run counts: the others met other processes
constexpr int kChains = 12;

// Sums the accumulators into a volatile, so the compiler must compute them.
void keep(const void* acc, size_t bytes) {
  volatile float sink = 0;
  for (size_t offset = 0; offset < bytes; offset += sizeof(float)) {
    float v;
    std::memcpy(&v, static_cast<const char*>(acc) + offset, sizeof v);
    sink = sink + v;
  }
}

__attribute__((target("avx512f"))) void fma_avx512() {
  __m512 acc[kChains];
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long n = 0; n < kIterations; ++n)
#pragma GCC unroll 12  // keeps acc[] in registers at -O2
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  keep(acc, sizeof acc);
}

__attribute__((target("avx2,fma"))) void fma_avx2() {
  __m256 acc[kChains];
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long n = 0; n < kIterations; ++n)
#pragma GCC unroll 12  // keeps acc[] in registers at -O2
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
  keep(acc, sizeof acc);
}

// vdpbf16ps needs more chains than an FMA, and two distinct source registers: with 12 chains, or
// one register as both sources, it ran at 87 % of this loop's rate on a Zen 5 EPYC.
constexpr int kBf16Chains = 16;

__attribute__((target("avx512bf16,avx512f"))) void dot_bf16() {
  __m512 acc[kBf16Chains];
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80);  // bf16 1.0
  const __m512bh b = (__m512bh)_mm512_set1_epi16(0x3f81);  // bf16 1.0078125
  for (int i = 0; i < kBf16Chains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long n = 0; n < kIterations; ++n)
#pragma GCC unroll 16  // keeps acc[] in registers at -O2
    for (int i = 0; i < kBf16Chains; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  keep(acc, sizeof acc);
}

// AMX: four 16×16 f32 tiles each accumulate a 16×32 by 32×16 bf16 product per tdpbf16ps
// (16·16·32·2 = 16384 FLOP), from two A and two B tiles, so that no product waits on the last.
constexpr long kAmxIterations = kIterations / 16;
constexpr double kAmxFlopsPerInstruction = 16 * 16 * 32 * 2;
constexpr int kAmxChains = 4;

struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

__attribute__((target("amx-tile,amx-bf16"))) void dot_amx() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) config.bytes_per_row[t] = 64, config.rows[t] = 16;
  _tile_loadconfig(&config);
  alignas(64) static thread_local uint16_t operand[16 * 32];
  std::fill(std::begin(operand), std::end(operand), uint16_t{0x3f80});  // bf16 1.0
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  for (long n = 0; n < kAmxIterations; ++n) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  alignas(64) float result[16 * 16];
  _tile_stored(0, result, 64);
  _tile_release();
  keep(result, sizeof result);
}

// Whether AMX may run here: the CPU has it and Linux granted this process the tile state.
bool amx_usable() {
  if (!engine::cpu_has_isa(dnnl::cpu_isa::avx512_core_amx)) return false;
  constexpr int kArchReqXcompPerm = 0x1023, kXfeatureTileData = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureTileData) == 0;
}

// GFLOP/s of `loop` run on `threads` threads at once, `flops_per_instruction` per vector op,
// `chains` vector ops per iteration.
double gflops(void (*loop)(), int threads, double flops_per_instruction, int chains = kChains,
              long iterations = kIterations) {
  double best = 0;
  for (int run = -1; run < kRuns; ++run) {  // run -1: untimed, so that the clock settles
    std::vector<std::thread> workers;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) workers.emplace_back(loop);
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (run >= 0)
      best = std::max(
          best, threads * static_cast<double>(iterations) * chains * flops_per_instruction / seconds / 1e9);
  }
  return best;
}

// 3 arrays of 24 M floats (96 MB each, 9× the 32 MB last-level cache of the EPYC this was written
// on), each thread writing and reading its own slice, first touched by that thread.
constexpr size_t kTriadElements = size_t{24} << 20;

double triad_gbytes(int threads) {
  std::vector<float> a(kTriadElements), b(kTriadElements, 1.f), c(kTriadElements, 2.f);
  const size_t slice = kTriadElements / threads;
  double best = 0;
  for (int run = -1; run < kRuns; ++run) {
    std::vector<std::thread> workers;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        float* __restrict x = a.data() + t * slice;
        const float* __restrict y = b.data() + t * slice;
        const float* __restrict z = c.data() + t * slice;
        for (size_t i = 0; i < slice; ++i) x[i] = y[i] + 3.f * z[i];
      });
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (run >= 0) best = std::max(best, 3.0 * sizeof(float) * slice * threads / seconds / 1e9);
  }
  volatile float sink = a[kTriadElements / 2];
  (void)sink;
  return best;
}

}  // namespace

PeakFlops measure_peak_flops(int threads) {
  PeakFlops p;
  p.threads = threads;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    p.f32_gflops = gflops(fma_avx512, threads, 16 * 2);
    p.f32_isa = "avx512 fma";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    p.f32_gflops = gflops(fma_avx2, threads, 8 * 2);
    p.f32_isa = "avx2 fma";
  }
  if (amx_usable()) {
    p.bf16_gflops = gflops(dot_amx, threads, kAmxFlopsPerInstruction, kAmxChains, kAmxIterations);
    p.bf16_isa = "amx tile product";
  } else if (__builtin_cpu_supports("avx512bf16")) {
    p.bf16_gflops = gflops(dot_bf16, threads, 32 * 2, kBf16Chains);
    p.bf16_isa = "avx512_bf16 dot product";
  }
  p.triad_gbytes = triad_gbytes(std::max(1, threads));
  return p;
}

}  // namespace dnntrain::apps
