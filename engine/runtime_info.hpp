// What oneDNN this process runs on: its version, its threading runtime and the instruction set its
// kernels dispatch to on this CPU (which ONEDNN_MAX_CPU_ISA can lower). Printed by `train` and
// `bench`, so that every figure names the kernels behind it.
#pragma once

#include <string>

namespace dnntrain::engine {

struct RuntimeInfo {
  std::string onednn_version;  // "3.2.0"
  std::string threading;       // "OpenMP", "TBB", "sequential" or "threadpool"
  std::string isa;             // "avx512_core_bf16", "avx2", ...
};

RuntimeInfo runtime_info();
// One line: "oneDNN 3.2.0 (OpenMP runtime), ISA avx512_core_bf16".
std::string describe(const RuntimeInfo& info);
// What a measured choice depends on besides the model: "cpu=<16 hex digits> isa=<isa> onednn=<version>",
// the digits a hash (FNV-1a) of /proc/cpuinfo's first "model name" and "flags" lines.
std::string machine_key();

}  // namespace dnntrain::engine
