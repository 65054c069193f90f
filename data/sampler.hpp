// Which samples a shard reads in an epoch, in which order: a permutation that depends on
// (seed, epoch) only, dealt round-robin to (rank, world size) shards.
#pragma once

#include <cstdint>
#include <vector>

namespace dnntrain::data {

struct ShardSpec {
  int rank = 0, world_size = 1;
};

// The epoch permutation of [0, n): file order if !shuffle, else Fisher-Yates from i = n-1 down to 1
// swapping i with uniform_int(i + 1) of CounterRng(seed, epoch, kPermutationStream), draw i.
void epoch_permutation(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle, std::vector<int64_t>& out);

// This shard's samples, in order: positions rank, rank + W, rank + 2W, … of the permutation. With
// `equal_shards` (training) only the first floor(n / W) · W positions are dealt, so every shard gets
// the same count and runs the same number of steps; otherwise (evaluation) all n positions are dealt
// and the shards together read every sample exactly once.
void shard_indices(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle, ShardSpec shard, bool equal_shards,
                   std::vector<int64_t>& out);

// Repeated augmentation (torchvision's RASampler): the epoch permutation with each sample repeated
// `reps` times in a row, dealt round-robin to the shards (so a sample's repeats go to different
// ranks), each shard keeping floor(n / W) entries: the epoch keeps the dataset's length
// (torchvision also rounds it down to a multiple of 256). Entries are keys: sample = key % n,
// repeat = key / n, so the repeat can enter the augmentation draws.
void repeated_shard_indices(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle, ShardSpec shard, int reps,
                            std::vector<int64_t>& out);

}  // namespace dnntrain::data
