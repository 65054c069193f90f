// IDX reader and the MNIST/Fashion-MNIST datasets. The header is read first through zlib (which
// passes raw files through) and checked; then exactly the promised payload, plus one byte to detect
// trailing data, so a gzip bomb stops at the header's size.
#include "data/idx.hpp"

#include "data/file_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

// The largest image side an IDX file may declare: the int-sized shapes downstream need a bound, and
// no IDX dataset comes near it (MNIST: 28).
constexpr uint32_t kMaxSide = 65535;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// `base` or `base.gz` inside `folder`, whichever exists.
// `base` (raw or .gz) in `folder`, or in torchvision's layout under it: `folder/raw/` (the data
// path is root/MNIST) or `folder/<torchvision_name>/raw/` (the data path is torchvision's root).
std::filesystem::path find_idx(const std::filesystem::path& folder, const std::string& base,
                               std::string_view torchvision_name) {
  require_exists(folder, "IDX data folder");
  std::vector<std::filesystem::path> places{folder, folder / "raw"};
  if (!torchvision_name.empty()) places.push_back(folder / torchvision_name / "raw");
  for (const auto& place : places)
    for (const auto& name : {base, base + ".gz"})
      if (std::filesystem::exists(place / name)) return place / name;
  throw Error("IDX file not found: " + (folder / base).string() + "[.gz]" +
              (torchvision_name.empty() ? std::string()
                                        : ", nor under " + (folder / torchvision_name / "raw").string()) +
              "; check the data path");
}

}  // namespace

IdxArray read_idx_u8(const std::filesystem::path& file, int expected_ndim) {
  DataFile in(file);
  const std::string name = file.string();
  uint8_t head[16] = {};
  size_t got = in.read(head, 4);
  DNNTRAIN_CHECK(got == 4, name + ": truncated IDX file (" + std::to_string(got) + " bytes, no header)");
  const int type = head[2], ndim = head[3];
  DNNTRAIN_CHECK(head[0] == 0 && head[1] == 0 && type >= 0x08 && type <= 0x0E && ndim >= 1 && ndim <= 3,
                 name + ": wrong magic number " + std::to_string(be32(head)) +
                     " for an IDX file (expected 2049 for labels, 2051 for images)");
  DNNTRAIN_CHECK(type == 0x08,
                 name + ": IDX element type " + std::to_string(type) + " is not unsigned byte (0x08)");
  DNNTRAIN_CHECK(ndim == expected_ndim, name + ": wrong magic number " + std::to_string(be32(head)) +
                                            ", expected " + std::to_string(2048 + expected_ndim));
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  got += in.read(head + 4, header - 4);
  DNNTRAIN_CHECK(got == header, name + ": truncated IDX header");
  IdxArray out;
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    out.dims.push_back(be32(head + 4 + 4 * d));
    count = checked_mul(count, out.dims.back(), name + ": IDX dimensions");
  }
  const std::string promise = name + ": header promises " + std::to_string(count) + " bytes";
  // Deflate cannot expand more than 1032:1, so a promise beyond that is refused before any read.
  const uint64_t most =
      in.compressed() ? checked_mul(in.file_size(), 1032, name) + 1024 : in.file_size() - header;
  DNNTRAIN_CHECK(count <= most, promise + ", more than the " + std::to_string(in.file_size()) +
                                    "-byte file " + (in.compressed() ? "can inflate to" : "holds") +
                                    " (truncated file or corrupt header)");
  // One byte past the promise tells trailing data apart without inflating the rest of a stream.
  in.read_up_to(count + 1, out.data);
  const uint64_t payload = out.data.size();
  DNNTRAIN_CHECK(payload >= count, promise + ", the file has " + std::to_string(payload) + " (record " +
                                       std::to_string(out.dims[0] ? payload / (count / out.dims[0]) : 0) +
                                       " is incomplete; truncated)");
  DNNTRAIN_CHECK(payload == count, promise + " but holds more: trailing bytes after the IDX payload");
  in.finish();
  return out;
}

std::unique_ptr<InMemoryDataset> read_mnist(const std::filesystem::path& folder, Split split,
                                            std::string_view torchvision_name) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const auto image_file = find_idx(folder, prefix + "-images-idx3-ubyte", torchvision_name);
  const auto label_file = find_idx(folder, prefix + "-labels-idx1-ubyte", torchvision_name);
  IdxArray images = read_idx_u8(image_file, 3);
  const IdxArray labels = read_idx_u8(label_file, 1);
  DNNTRAIN_CHECK(images.dims[0] == labels.dims[0], "image and label counts disagree: " + image_file.string() +
                                                       " has " + std::to_string(images.dims[0]) +
                                                       " images, " + label_file.string() + " has " +
                                                       std::to_string(labels.dims[0]) + " labels");
  DNNTRAIN_CHECK(images.dims[0] > 0, image_file.string() + ": no images");
  const uint32_t rows = images.dims[1], cols = images.dims[2];
  DNNTRAIN_CHECK(rows >= 1 && cols >= 1 && rows <= kMaxSide && cols <= kMaxSide,
                 image_file.string() + ": images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                     " pixels; each side must be in [1, " + std::to_string(kMaxSide) + "]");
  std::vector<int32_t> label_values(labels.data.size());
  for (size_t i = 0; i < labels.data.size(); ++i) {
    DNNTRAIN_CHECK(labels.data[i] < 10, label_file.string() + " record " + std::to_string(i) + ": label " +
                                            std::to_string(labels.data[i]) + " out of range [0, 10)");
    label_values[i] = labels.data[i];
  }
  const Dataset::Shape shape{1, static_cast<int>(rows), static_cast<int>(cols)};
  return std::make_unique<InMemoryDataset>(std::move(images.data), std::move(label_values), shape, 10,
                                           std::vector<std::string>{image_file.string()},
                                           std::vector<int64_t>{0});
}

}  // namespace dnntrain::data
