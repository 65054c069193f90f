// Epoch permutation and sharding. Both are pure functions of their arguments, which is what makes a
// resumed or re-sharded run read the same samples.
#include "data/sampler.hpp"

#include <utility>

#include "data/rng.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {

void epoch_permutation(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle, std::vector<int64_t>& out) {
  out.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = i;
  if (!shuffle) return;
  const CounterRng rng(seed, epoch, CounterRng::kPermutationStream);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j =
        static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(i), static_cast<uint64_t>(i) + 1));
    std::swap(out[static_cast<size_t>(i)], out[static_cast<size_t>(j)]);
  }
}

void shard_indices(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle, ShardSpec shard, bool equal_shards,
                   std::vector<int64_t>& out) {
  DNNTRAIN_CHECK(shard.world_size >= 1 && shard.rank >= 0 && shard.rank < shard.world_size,
                 "shard: need 0 <= rank < world size, got rank " + std::to_string(shard.rank) + " of " +
                     std::to_string(shard.world_size));
  std::vector<int64_t> perm;
  epoch_permutation(n, seed, epoch, shuffle, perm);
  const int64_t dealt = equal_shards ? n / shard.world_size * shard.world_size : n;
  out.clear();
  for (int64_t p = shard.rank; p < dealt; p += shard.world_size) out.push_back(perm[static_cast<size_t>(p)]);
}

void repeated_shard_indices(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle, ShardSpec shard, int reps,
                            std::vector<int64_t>& out) {
  DNNTRAIN_CHECK(shard.world_size >= 1 && shard.rank >= 0 && shard.rank < shard.world_size && reps >= 1,
                 "repeated sampler: need 0 <= rank < world size and reps >= 1");
  std::vector<int64_t> perm;
  epoch_permutation(n, seed, epoch, shuffle, perm);
  const int64_t total = n * reps, per_shard = n / shard.world_size;
  out.clear();
  for (int64_t p = shard.rank; p < total && static_cast<int64_t>(out.size()) < per_shard; p += shard.world_size)
    out.push_back(perm[static_cast<size_t>(p / reps)] + (p % reps) * n);
}

}  // namespace dnntrain::data
