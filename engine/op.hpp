// One executable step of a plan: a oneDNN primitive with its arguments bound once at plan time.
// Executing through the C API with a prebuilt argument array keeps the step free of the
// std::vector the C++ execute() builds on every call.
#pragma once

#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

#include "engine/layer.hpp"

namespace dnntrain::engine {

class Op {
 public:
  Op() = default;
  Op(dnnl::primitive primitive, const std::unordered_map<int, dnnl::memory>& args);

  // requires: every argument memory has its data handle set (the graph binds them after plan).
  void run(dnnl::stream& stream) const;
  // The same; when step.primitive_ms is set, adds the primitive's wall time to it (profiling).
  void run(Step& step) const;
  explicit operator bool() const { return static_cast<bool>(primitive_); }

 private:
  dnnl::primitive primitive_;
  std::vector<dnnl::memory> keep_alive_;
  std::vector<dnnl_exec_arg_t> args_;
};

}  // namespace dnntrain::engine
