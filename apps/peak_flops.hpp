// The machine's roofs as bench's roofline measures them: the arithmetic peak (independent FMA
// chains in registers on every compute thread, f32: AVX-512, else AVX2; where the CPU has
// avx512_bf16, a vdpbf16ps loop: two bf16 products accumulated into f32 per lane; where oneDNN
// runs AMX, an AMX tile loop instead, since its bf16 convolutions then run on the tiles) and the memory
// bandwidth of a STREAM triad (a = b + s·c over arrays far larger than the last-level cache).
#pragma once

namespace dnntrain::apps {

struct PeakFlops {
  double f32_gflops = 0;   // all threads together
  double bf16_gflops = 0;  // 0: the CPU has no avx512_bf16
  const char* f32_isa = "";
  const char* bf16_isa = "";
  int threads = 0;
  double triad_gbytes = 0;  // GB/s of the triad, counting 3 × 4 bytes per element as STREAM does
};

// Runs each loop once untimed (the clock settles), then five times (about 0.05 s each on a quiet
// core) on `threads` threads at once, and keeps the best run; the triad likewise.
PeakFlops measure_peak_flops(int threads);

}  // namespace dnntrain::apps
