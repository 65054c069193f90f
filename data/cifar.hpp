// CIFAR-10 and CIFAR-100 from the official binary archives (headerless records of label byte(s) +
// 3072 bytes CHW) or torchvision's pickled Python archives, read once into memory.
#pragma once

#include <filesystem>
#include <memory>

#include "data/dataset.hpp"

namespace dnntrain::data {

// `path` is `cifar-10-batches-py/` (torchvision's: data_batch_1..5, test_batch, pickled dicts of
// b'data' (N, 3072) uint8 and b'labels'), `cifar-10-batches-bin/`, or the folder holding either. Train = data_batch_1..5.bin (50,000),
// test = test_batch.bin (10,000). Throws dnntrain::Error naming the file (and record) on a missing
// file, a size that is not a whole number of 3073-byte records, or a label >= 10.
std::unique_ptr<InMemoryDataset> read_cifar10(const std::filesystem::path& path, Split split);

// `path` is `cifar-100-python/` (torchvision's: train, test; b'fine_labels'), `cifar-100-binary/`,
// or the folder holding either; train.bin / test.bin; records are
// coarse + fine label + 3072 bytes; the fine label (0..99) is used.
std::unique_ptr<InMemoryDataset> read_cifar100(const std::filesystem::path& path, Split split);

}  // namespace dnntrain::data
