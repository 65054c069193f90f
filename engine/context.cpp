// Context: fixes the OpenMP team size before anything is planned, sets flush-to-zero in every
// OpenMP thread, and owns the engine and stream.
#include "engine/context.hpp"

#include <omp.h>
#include <xmmintrin.h>
#include <pmmintrin.h>

namespace dnntrain::engine {

namespace {

int fix_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  const int n = omp_get_max_threads();
  // MXCSR is per thread: denormals off in each member of the team oneDNN will use.
#pragma omp parallel num_threads(n)
  {
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  }
  return n;
}

}  // namespace

Context::Context(int threads)
    : threads_(fix_threads(threads)), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

}  // namespace dnntrain::engine
