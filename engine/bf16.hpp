// bfloat16: the upper 16 bits of an IEEE float (8-bit exponent, 7 stored mantissa bits). Rounding
// is to nearest, ties to even, with denormal inputs taken as zero, as AVX-512 BF16's
// vcvtneps2bf16 and oneDNN's reorders convert: a value converted here and one converted by a
// primitive carry the same bits.
#pragma once

#include <bit>
#include <cstdint>

namespace dnntrain::engine {

// The relative rounding error of one conversion is at most 2^-8 (half a unit in the 8th
// significant bit, counting the implicit one).
inline constexpr double kBf16UnitRoundoff = 1.0 / 256;

// Branch-free, so that loops over it vectorise.
inline uint16_t to_bf16(float v) {
  const uint32_t bits = std::bit_cast<uint32_t>(v);
  const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (bits >> 16) | 0x40u;
  const uint32_t signed_zero = (bits >> 16) & 0x8000u;
  const uint32_t out = (bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan
                       : (bits & 0x7f800000u) == 0       ? signed_zero
                                                         : rounded;
  return static_cast<uint16_t>(out);
}

inline float from_bf16(uint16_t v) { return std::bit_cast<float>(static_cast<uint32_t>(v) << 16); }

// v rounded to the nearest bf16, as a float.
inline float round_to_bf16(float v) { return from_bf16(to_bf16(v)); }

}  // namespace dnntrain::engine
