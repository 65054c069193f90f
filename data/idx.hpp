// IDX files (MNIST, Fashion-MNIST), raw or gzip, and the MNIST-style datasets built from them.
// Headers are validated as torchvision does, plus a check for trailing bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "data/dataset.hpp"

namespace dnntrain::data {

// An IDX array of unsigned bytes (type 0x08), the only type the image and label files use.
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // C order, prod(dims) bytes
};

// Reads `file` (raw or .gz) and checks: magic 00 00 08 <ndim> with 1 <= ndim <= 3, `expected_ndim`
// dims, and a payload of exactly prod(dims) bytes. Throws dnntrain::Error naming the file otherwise.
IdxArray read_idx_u8(const std::filesystem::path& file, int expected_ndim);

// The default data path of Debian's dataset-fashion-mnist package.
inline constexpr const char* kFashionMnistDefaultPath = "/usr/share/datasets/fashion-mnist";

// MNIST or Fashion-MNIST from `folder` with the standard names (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-…), each raw or with .gz, in `folder`, `folder/raw` or torchvision's
// `folder/<torchvision_name>/raw` ("MNIST", "FashionMNIST"). Images 1x28x28, labels in [0, 10).
// Throws dnntrain::Error naming the file on a missing file, bad header, count mismatch or a label
// out of range (with the record index).
std::unique_ptr<InMemoryDataset> read_mnist(const std::filesystem::path& folder, Split split,
                                            std::string_view torchvision_name = {});

}  // namespace dnntrain::data
