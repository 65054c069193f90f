// Precision helpers.
#include "engine/precision.hpp"

#include "engine/desc_format.hpp"
#include "engine/error.hpp"

namespace dnntrain::engine {

std::string_view precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "f32"; }

Precision resolve(PrecisionChoice choice) {
  return choice == PrecisionChoice::bf16 ? Precision::bf16 : Precision::f32;
}

dnnl::memory::data_type activation_type(Precision p) {
  return p == Precision::bf16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

dnnl::memory::desc with_data_type(const dnnl::memory::desc& md, dnnl::memory::data_type type) {
  using dnnl::memory;
  if (md.get_data_type() == type) return md;
  DNNTRAIN_CHECK(md.get_format_kind() == memory::format_kind::blocked,
                 "with_data_type: the desc has no concrete layout (format_tag::any)");
  const memory::dims dims = md.get_dims();
  if (md.get_inner_nblks() == 0) return memory::desc(dims, type, md.get_strides());
  // oneDNN 3 has no setter for the data type, and a blocked layout is rebuilt only from its tag:
  // find the tag that gives this very desc (plan time only).
  for (int t = dnnl_a; t < dnnl_format_tag_last; ++t) {
    const auto tag = static_cast<memory::format_tag>(t);
    const memory::desc candidate(dims, md.get_data_type(), tag, /*allow_empty=*/true);
    if (candidate && candidate == md) return memory::desc(dims, type, tag);
  }
  throw Error("with_data_type: no oneDNN format tag describes the layout " + layout_of(md));
}

bool cpu_has_isa(dnnl::cpu_isa isa) {
  const auto effective = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto wanted = static_cast<unsigned>(isa);
  return (effective & wanted) == wanted;
}

// Every ISA with bf16 instructions (AMX too) contains avx512_core_bf16's features.
bool cpu_has_native_bf16() { return cpu_has_isa(dnnl::cpu_isa::avx512_core_bf16); }

bool bf16_prefers_nhwc() { return cpu_has_isa(dnnl::cpu_isa::avx512_core_amx); }

}  // namespace dnntrain::engine
