// The machine's arithmetic peak as bench's roofline measures it: independent FMA chains in
// registers on every compute thread (f32: AVX-512, else AVX2), and where the CPU has avx512_bf16,
// a vdpbf16ps loop (two bf16 products accumulated into f32 per lane).
#pragma once

namespace dnntrain::apps {

struct PeakFlops {
  double f32_gflops = 0;   // all threads together
  double bf16_gflops = 0;  // 0: the CPU has no avx512_bf16
  const char* f32_isa = "";
  int threads = 0;
};

// Runs each loop three times (about 0.05 s each on a quiet core) on `threads` threads at once and
// keeps the best run.
PeakFlops measure_peak_flops(int threads);

}  // namespace dnntrain::apps
