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

bool cpu_has_native_bf16() {
  // oneDNN's ISA values are feature masks: every ISA with bf16 instructions contains this one's.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

}  // namespace dnntrain::engine
