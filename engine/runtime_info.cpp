// runtime_info: oneDNN's version record and its effective ISA, named.
#include "engine/runtime_info.hpp"

#include <dnnl.hpp>
#include <fmt/format.h>

#include <fstream>
#include <string_view>

namespace dnntrain::engine {

namespace {

std::string isa_name(dnnl::cpu_isa isa) {
  using I = dnnl::cpu_isa;
  switch (isa) {
    case I::isa_default: return "default";
    case I::sse41: return "sse41";
    case I::avx: return "avx";
    case I::avx2: return "avx2";
    case I::avx2_vnni: return "avx2_vnni";
    case I::avx2_vnni_2: return "avx2_vnni_2";
    case I::avx512_core: return "avx512_core";
    case I::avx512_core_vnni: return "avx512_core_vnni";
    case I::avx512_core_bf16: return "avx512_core_bf16";
    case I::avx512_core_fp16: return "avx512_core_fp16";
    case I::avx512_core_amx: return "avx512_core_amx";
    case I::avx512_core_amx_fp16: return "avx512_core_amx_fp16";
  }
  return fmt::format("0x{:x}", static_cast<unsigned>(isa));  // an ISA newer than these headers
}

std::string threading_name(unsigned runtime) {
  switch (runtime) {
    case DNNL_RUNTIME_OMP: return "OpenMP";
    case DNNL_RUNTIME_TBB: return "TBB";
    case DNNL_RUNTIME_SEQ: return "sequential";
    case DNNL_RUNTIME_THREADPOOL: return "threadpool";
  }
  return fmt::format("runtime {}", runtime);
}

uint64_t fnv1a(std::string_view text, uint64_t h = 14695981039346656037ull) {
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ull;
  return h;
}

}  // namespace

RuntimeInfo runtime_info() {
  const dnnl_version_t* v = dnnl::version();
  return {fmt::format("{}.{}.{}", v->major, v->minor, v->patch), threading_name(v->cpu_runtime),
          isa_name(dnnl::get_effective_cpu_isa())};
}

std::string describe(const RuntimeInfo& info) {
  return fmt::format("oneDNN {} ({} runtime), ISA {}", info.onednn_version, info.threading, info.isa);
}

std::string machine_key() {
  std::ifstream in("/proc/cpuinfo");
  std::string model, flags;
  for (std::string line; std::getline(in, line) && (model.empty() || flags.empty());) {
    if (model.empty() && line.rfind("model name", 0) == 0) model = line;
    if (flags.empty() && line.rfind("flags", 0) == 0) flags = line;
  }
  const RuntimeInfo info = runtime_info();
  return fmt::format("cpu={:016x} isa={} onednn={}", fnv1a(flags, fnv1a(model)), info.isa, info.onednn_version);
}

}  // namespace dnntrain::engine
