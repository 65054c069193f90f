// Op: a primitive plus its C argument array.
#include "engine/op.hpp"

#include <chrono>
#include <string>

#include "engine/error.hpp"

namespace dnntrain::engine {

Op::Op(dnnl::primitive primitive, const std::unordered_map<int, dnnl::memory>& args)
    : primitive_(std::move(primitive)) {
  keep_alive_.reserve(args.size());
  args_.reserve(args.size());
  for (const auto& [arg, mem] : args) {
    keep_alive_.push_back(mem);
    args_.push_back({arg, mem.get()});
  }
}

void Op::run(dnnl::stream& stream) const {
  const dnnl_status_t status = dnnl_primitive_execute(primitive_.get(), stream.get(),
                                                      static_cast<int>(args_.size()), args_.data());
  DNNTRAIN_CHECK(status == dnnl_success,
                 "oneDNN primitive execution failed with status " + std::to_string(status));
}

void Op::run(Step& step) const {
  if (!step.primitive_ms) {
    run(step.stream);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  run(step.stream);
  *step.primitive_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dnntrain::engine
