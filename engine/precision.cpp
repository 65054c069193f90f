// Precision helpers.
#include "engine/precision.hpp"

namespace dnntrain::engine {

std::string_view precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "f32"; }

Precision resolve(PrecisionChoice choice) {
  if (choice == PrecisionChoice::automatic) return cpu_has_native_bf16() ? Precision::bf16 : Precision::f32;
  return choice == PrecisionChoice::bf16 ? Precision::bf16 : Precision::f32;
}

dnnl::memory::data_type activation_type(Precision p) {
  return p == Precision::bf16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

dnnl::memory::desc with_data_type(dnnl::memory::desc md, dnnl::memory::data_type type) {
  md.data.data_type = static_cast<dnnl_data_type_t>(type);
  return md;
}

bool cpu_has_isa(dnnl::cpu_isa isa) {
  const auto effective = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto wanted = static_cast<unsigned>(isa);
  return (effective & wanted) == wanted;
}

// Every ISA with bf16 instructions (AMX too) contains avx512_core_bf16's features.
bool cpu_has_native_bf16() { return cpu_has_isa(dnnl::cpu_isa::avx512_core_bf16); }

}  // namespace dnntrain::engine
