// InMemoryDataset: N dense CHW u8 images with their labels, and which file each record came from
// so that messages about a sample can name its file and record.
#include "data/dataset.hpp"

#include <algorithm>

#include "data/file_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {

InMemoryDataset::InMemoryDataset(std::vector<uint8_t> pixels, std::vector<int32_t> labels, Shape shape,
                                 int classes, std::vector<std::string> source_files,
                                 std::vector<int64_t> file_starts)
    : pixels_(std::move(pixels)),
      labels_(std::move(labels)),
      shape_(shape),
      classes_(classes),
      source_files_(std::move(source_files)),
      file_starts_(std::move(file_starts)) {
  const uint64_t per =
      checked_mul(checked_mul(static_cast<uint64_t>(shape.channels), static_cast<uint64_t>(shape.height),
                              "in-memory dataset shape"),
                  static_cast<uint64_t>(shape.width), "in-memory dataset shape");
  DNNTRAIN_CHECK(pixels_.size() == checked_mul(per, labels_.size(), "in-memory dataset size"),
                 "in-memory dataset: pixel count does not match labels x shape");
  DNNTRAIN_CHECK(source_files_.size() == file_starts_.size(),
                 "in-memory dataset: one start index per source file");
}

Dataset::Sample InMemoryDataset::sample(int64_t index, Image&) const {
  const int64_t plane = static_cast<int64_t>(shape_.height) * shape_.width;
  const ImageView view{pixels_.data() + index * plane * shape_.channels,
                       shape_.channels,
                       shape_.height,
                       shape_.width,
                       shape_.width,
                       plane};
  return {view, labels_[static_cast<size_t>(index)]};
}

std::string InMemoryDataset::describe(int64_t index) const {
  if (source_files_.empty()) return "sample " + std::to_string(index);
  const auto it = std::upper_bound(file_starts_.begin(), file_starts_.end(), index);
  const size_t k = it == file_starts_.begin() ? 0 : static_cast<size_t>(it - file_starts_.begin() - 1);
  return source_files_[k] + " record " + std::to_string(index - file_starts_[k]);
}

}  // namespace dnntrain::data
