// Counter-based random numbers: every draw is a pure function of (seed, epoch, sample, draw id),
// so batches are bit-identical whatever the thread count, prefetch depth or shard.
#pragma once

#include <cstdint>

namespace dnntrain::data {

// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The data stream is defined by these mappings; changing any of them changes every batch:
//   bits(seed, epoch, sample, draw) = mix64(mix64(mix64(mix64(seed) ^ epoch) ^ sample) ^ draw)
//   uniform_int(n)  = (bits * n) >> 64            (128-bit product: an integer in [0, n), n >= 1)
//   uniform01()     = (bits >> 11) * 2^-53        (a double in [0, 1), 53 random bits)
//   uniform(a, b)   = a + (b - a) * uniform01()
// `sample` is the global sample index in the dataset (not the position in the epoch), so a
// sample's augmentation does not depend on where the permutation put it. The epoch permutation
// uses sample = kPermutationStream and draw = the Fisher-Yates step.
class CounterRng {
 public:
  static constexpr uint64_t kPermutationStream = ~0ull;

  CounterRng(uint64_t seed, uint64_t epoch, uint64_t sample)
      : key_(mix64(mix64(mix64(seed) ^ epoch) ^ sample)) {}

  uint64_t bits(uint64_t draw) const { return mix64(key_ ^ draw); }
  uint64_t uniform_int(uint64_t draw, uint64_t n) const {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(bits(draw)) * n) >> 64);
  }
  double uniform01(uint64_t draw) const { return static_cast<double>(bits(draw) >> 11) * 0x1.0p-53; }
  double uniform(uint64_t draw, double a, double b) const { return a + (b - a) * uniform01(draw); }

 private:
  uint64_t key_;
};

}  // namespace dnntrain::data
