// Dataset kinds by name (the --dataset values), their normalisation constants and one entry point
// that opens any of them, so apps/ and tests need not know which reader serves which kind.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.hpp"
#include "data/image_folder.hpp"
#include "data/synthetic.hpp"
#include "engine/names.hpp"

namespace dnntrain::data {

enum class DatasetKind { cifar10, cifar100, mnist, fashion_mnist, imagefolder, synthetic };

// --dataset's names: the one table behind parsing, help text and errors.
inline constexpr engine::Named<DatasetKind> kDatasetNames[] = {{DatasetKind::cifar10, "cifar10"},
                                                               {DatasetKind::cifar100, "cifar100"},
                                                               {DatasetKind::mnist, "mnist"},
                                                               {DatasetKind::fashion_mnist, "fashion-mnist"},
                                                               {DatasetKind::imagefolder, "imagefolder"},
                                                               {DatasetKind::synthetic, "synthetic"}};

// The dataset a folder holds, from its layout as torchvision users keep them: train/ and val/
// folders (imagefolder), cifar-10-batches-py or -bin (cifar10), cifar-100-python or -binary
// (cifar100), FashionMNIST/raw, MNIST/raw, or bare IDX files (fashion-mnist). Throws
// dnntrain::Error naming the folder when none is found.
DatasetKind detect_dataset_kind(const std::filesystem::path& root);

// A kDatasetNames name -> kind; throws dnntrain::Error naming the choices otherwise.
DatasetKind parse_dataset_kind(std::string_view name);
std::string_view dataset_kind_name(DatasetKind kind);

struct Normalization {
  std::vector<float> mean, std;  // one per channel
};

// Mean / std per channel: CIFAR-10 (0.4914, 0.4822, 0.4465)/(0.2470, 0.2435, 0.2616), CIFAR-100
// (0.5071, 0.4865, 0.4409)/(0.2673, 0.2564, 0.2762), MNIST 0.1307/0.3081, Fashion-MNIST
// 0.2860/0.3530, image folders ImageNet's. Synthetic data (uniform bytes): 0.5 / 0.2887 per channel.
Normalization normalization_for(DatasetKind kind, int channels);

struct DatasetOptions {
  std::filesystem::path path;  // empty: the kind's default (fashion-mnist: kFashionMnistDefaultPath)
  Split split = Split::train;
  ImageFolderOptions image_folder;
  SyntheticSpec synthetic;  // synthetic only; the test split uses seed + 1
};

// Opens (and for in-memory kinds, reads once) the dataset. Throws dnntrain::Error naming the file.
std::shared_ptr<const Dataset> open_dataset(DatasetKind kind, const DatasetOptions& options);

}  // namespace dnntrain::data
