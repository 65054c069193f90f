// The precision a graph trains in: f32 throughout, or bf16 activations, activation gradients and
// working copies of the weights, with f32 master weights, weight gradients and optimizer state
// (docs/numerics.md, "bf16 mixed precision").
#pragma once

#include <string_view>

#include <dnnl.hpp>

#include "engine/names.hpp"

namespace dnntrain::engine {

enum class Precision { f32, bf16 };

// What --precision asks for: a precision, or auto (the faster of the two, measured: engine/tuning.hpp).
enum class PrecisionChoice { f32, bf16, automatic };
inline constexpr Named<PrecisionChoice> kPrecisionNames[] = {
    {PrecisionChoice::f32, "f32"}, {PrecisionChoice::bf16, "bf16"}, {PrecisionChoice::automatic, "auto"}};
// The precision asked for; auto without a measurement is f32 (the exact one).
Precision resolve(PrecisionChoice choice);

std::string_view precision_name(Precision p);
// The data type of activations and their gradients.
dnnl::memory::data_type activation_type(Precision p);

// The same desc in another data type: dimensions, layout and padding unchanged.
dnnl::memory::desc with_data_type(const dnnl::memory::desc& md, dnnl::memory::data_type type);

// Whether oneDNN's effective ISA on this CPU includes `isa` (its ISA values are feature masks).
bool cpu_has_isa(dnnl::cpu_isa isa);
// Whether oneDNN runs bf16 natively on this CPU (AVX-512 BF16 or AMX); elsewhere its bf16 kernels
// emulate the dot products and are slower than f32.
bool cpu_has_native_bf16();
// Whether a bf16 graph should keep its activations in nhwc: oneDNN runs its AMX convolutions
// (brgconv) on nhwc tensors only, so on a CPU with AMX a channel-blocked bf16 graph falls back to
// the AVX-512 bf16 kernels. True where oneDNN's effective ISA includes AMX.
bool bf16_prefers_nhwc();

}  // namespace dnntrain::engine
