// Dispatch from a dataset kind to its reader, and the per-kind normalisation table.
#include "data/datasets.hpp"

#include "data/cifar.hpp"
#include "data/idx.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {

DatasetKind parse_dataset_kind(std::string_view name) {
  if (const auto kind = engine::find_named(kDatasetNames, name)) return *kind;
  throw Error("unknown dataset '" + std::string(name) + "'; expected " + engine::name_list(kDatasetNames));
}

std::string_view dataset_kind_name(DatasetKind kind) { return engine::name_of(kDatasetNames, kind); }

Normalization normalization_for(DatasetKind kind, int channels) {
  Normalization n;
  switch (kind) {
    case DatasetKind::cifar10:
      n = {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
      break;
    case DatasetKind::cifar100:
      n = {{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
      break;
    case DatasetKind::mnist:
      n = {{0.1307f}, {0.3081f}};
      break;
    case DatasetKind::fashion_mnist:
      n = {{0.2860f}, {0.3530f}};
      break;
    case DatasetKind::imagefolder:
      n = {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
      break;
    case DatasetKind::synthetic:
      n = {std::vector<float>(static_cast<size_t>(channels), 0.5f),
           std::vector<float>(static_cast<size_t>(channels), 0.2887f)};
      break;
  }
  DNNTRAIN_CHECK(static_cast<int>(n.mean.size()) == channels,
                 std::string(dataset_kind_name(kind)) + ": normalisation has " +
                     std::to_string(n.mean.size()) + " channels, the data has " + std::to_string(channels));
  return n;
}

DatasetKind detect_dataset_kind(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  const auto any = [&](std::initializer_list<fs::path> paths) {
    for (const auto& p : paths)
      if (fs::exists(root / p)) return true;
    return false;
  };
  if (fs::is_directory(root / "train") && fs::is_directory(root / "val")) return DatasetKind::imagefolder;
  if (any({"cifar-10-batches-py", "cifar-10-batches-bin", "data_batch_1", "data_batch_1.bin"}))
    return DatasetKind::cifar10;
  if (any({"cifar-100-python", "cifar-100-binary", "train.bin"})) return DatasetKind::cifar100;
  if (any({"FashionMNIST/raw"})) return DatasetKind::fashion_mnist;
  if (any({"MNIST/raw"})) return DatasetKind::mnist;
  // Bare IDX files: Fashion-MNIST, the default dataset (Debian's package holds them so).
  if (any({"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "raw/train-images-idx3-ubyte",
           "raw/train-images-idx3-ubyte.gz"}))
    return DatasetKind::fashion_mnist;
  throw Error(root.string() +
              ": no dataset layout found (train/ and val/ folders, cifar-10-batches-py, cifar-100-python, "
              "MNIST/raw, FashionMNIST/raw, IDX files); name it with --dataset");
}

std::shared_ptr<const Dataset> open_dataset(DatasetKind kind, const DatasetOptions& o) {
  const auto need_path = [&] {
    DNNTRAIN_CHECK(!o.path.empty(), std::string(dataset_kind_name(kind)) + ": no data path given");
    return o.path;
  };
  switch (kind) {
    case DatasetKind::cifar10:
      return read_cifar10(need_path(), o.split);
    case DatasetKind::cifar100:
      return read_cifar100(need_path(), o.split);
    case DatasetKind::mnist:
      return read_mnist(need_path(), o.split, "MNIST");
    case DatasetKind::fashion_mnist:
      return read_mnist(o.path.empty() ? std::filesystem::path(kFashionMnistDefaultPath) : o.path, o.split,
                        "FashionMNIST");
    case DatasetKind::imagefolder:
      return std::make_shared<ImageFolderDataset>(need_path(), o.split, o.image_folder);
    case DatasetKind::synthetic: {
      SyntheticSpec spec = o.synthetic;
      if (o.split == Split::test) spec.seed += 1;
      return make_synthetic(spec);
    }
  }
  throw Error("unknown dataset kind");
}

}  // namespace dnntrain::data
