// The execution context: one oneDNN CPU engine, its in-order stream, and the OpenMP thread count
// oneDNN plans with. No globals: two contexts can live in one process.
#pragma once

#include <dnnl.hpp>

namespace dnntrain::engine {

class Context {
 public:
  // threads <= 0 keeps OpenMP's default. The count is fixed here because oneDNN sizes its kernels
  // by omp_get_max_threads() when a primitive descriptor is created, i.e. before plan().
  explicit Context(int threads = 0);

  const dnnl::engine& engine() const { return engine_; }
  dnnl::stream& stream() { return stream_; }
  int threads() const { return threads_; }

 private:
  int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
};

}  // namespace dnntrain::engine
