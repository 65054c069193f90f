// IDX reader and the MNIST/Fashion-MNIST datasets. Files are read whole through zlib (which passes
// raw files through), then the header is checked before any payload byte is used.
#include "data/idx.hpp"

#include "data/file_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// `base` or `base.gz` inside `folder`, whichever exists.
std::filesystem::path find_idx(const std::filesystem::path& folder, const std::string& base) {
  require_exists(folder, "IDX data folder");
  for (const auto& name : {base, base + ".gz"}) {
    if (std::filesystem::exists(folder / name)) return folder / name;
  }
  throw Error("IDX file not found: " + (folder / base).string() + "[.gz]; check the data path");
}

}  // namespace

IdxArray read_idx_u8(const std::filesystem::path& file, int expected_ndim) {
  std::vector<uint8_t> bytes = read_file(file);
  DNNTRAIN_CHECK(bytes.size() >= 4, file.string() + ": truncated IDX file (" + std::to_string(bytes.size()) +
                                        " bytes, no header)");
  const int type = bytes[2], ndim = bytes[3];
  DNNTRAIN_CHECK(bytes[0] == 0 && bytes[1] == 0 && type >= 0x08 && type <= 0x0E && ndim >= 1 && ndim <= 3,
                 file.string() + ": wrong magic number " + std::to_string(be32(bytes.data())) +
                     " for an IDX file (expected 2049 for labels, 2051 for images)");
  DNNTRAIN_CHECK(type == 0x08, file.string() + ": IDX element type " + std::to_string(type) +
                                   " is not unsigned byte (0x08)");
  DNNTRAIN_CHECK(ndim == expected_ndim, file.string() + ": wrong magic number " +
                                            std::to_string(be32(bytes.data())) + ", expected " +
                                            std::to_string(2048 + expected_ndim));
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  DNNTRAIN_CHECK(bytes.size() >= header, file.string() + ": truncated IDX header");
  IdxArray out;
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    out.dims.push_back(be32(bytes.data() + 4 + 4 * d));
    count *= out.dims.back();
  }
  const uint64_t payload = bytes.size() - header;
  DNNTRAIN_CHECK(payload >= count, file.string() + ": truncated: header promises " + std::to_string(count) +
                                       " bytes, the file has " + std::to_string(payload) + " (record " +
                                       std::to_string(out.dims[0] ? payload * out.dims[0] / count : 0) +
                                       " is incomplete)");
  DNNTRAIN_CHECK(payload == count, file.string() + ": " + std::to_string(payload - count) +
                                       " trailing bytes after the IDX payload");
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  out.data = std::move(bytes);
  return out;
}

std::unique_ptr<InMemoryDataset> read_mnist(const std::filesystem::path& folder, Split split) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const auto image_file = find_idx(folder, prefix + "-images-idx3-ubyte");
  const auto label_file = find_idx(folder, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx_u8(image_file, 3);
  const IdxArray labels = read_idx_u8(label_file, 1);
  DNNTRAIN_CHECK(images.dims[0] == labels.dims[0], "image and label counts disagree: " + image_file.string() +
                                                       " has " + std::to_string(images.dims[0]) +
                                                       " images, " + label_file.string() + " has " +
                                                       std::to_string(labels.dims[0]) + " labels");
  DNNTRAIN_CHECK(images.dims[0] > 0, image_file.string() + ": no images");
  std::vector<int32_t> label_values(labels.data.size());
  for (size_t i = 0; i < labels.data.size(); ++i) {
    DNNTRAIN_CHECK(labels.data[i] < 10, label_file.string() + " record " + std::to_string(i) + ": label " +
                                            std::to_string(labels.data[i]) + " out of range [0, 10)");
    label_values[i] = labels.data[i];
  }
  const Dataset::Shape shape{1, static_cast<int>(images.dims[1]), static_cast<int>(images.dims[2])};
  return std::make_unique<InMemoryDataset>(std::move(images.data), std::move(label_values), shape, 10,
                                           std::vector<std::string>{image_file.string()},
                                           std::vector<int64_t>{0});
}

}  // namespace dnntrain::data
