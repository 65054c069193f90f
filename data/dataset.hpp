// The one interface the pipeline reads samples through: a labelled, indexable set of images,
// either held in memory (CIFAR, IDX, synthetic) or decoded per sample (image folders).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/image.hpp"

namespace dnntrain::data {

enum class Split { train, test };

// Thread safety: after construction every const member may be called from many threads at once.
class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  virtual int classes() const = 0;
  virtual int32_t label(int64_t index) const = 0;

  // Every sample's shape when it is fixed (in-memory sets); {0, 0, 0} when it varies per file.
  struct Shape {
    int channels = 0, height = 0, width = 0;
  };
  virtual Shape shape() const = 0;

  // True if sample() only returns a view (cheap); false if it decodes a file (expensive). The
  // pipeline's core-sharing policy keys on this.
  virtual bool in_memory() const = 0;

  // requires: 0 <= index < size(). ensures: a CHW u8 view of the sample and its label; the view
  // stays valid until the next call with the same `scratch`; decoding sets write into `scratch`
  // (its capacity is reused). The label is label(index) unless a bad image was skipped.
  // Throws dnntrain::Error naming the file if the sample cannot be decoded.
  struct Sample {
    ImageView image;
    int32_t label = 0;
  };
  virtual Sample sample(int64_t index, Image& scratch) const = 0;

  // What to call sample `index` in a message: its file, or "<file> record <i>".
  virtual std::string describe(int64_t index) const = 0;
};

// A dataset held in memory as N dense CHW u8 images and N labels. CIFAR, IDX and synthetic sets
// read their files once into one of these.
class InMemoryDataset final : public Dataset {
 public:
  // `source` names where the data came from, for messages ("…/data_batch_1.bin" or "synthetic").
  InMemoryDataset(std::vector<uint8_t> pixels, std::vector<int32_t> labels, Shape shape, int classes,
                  std::vector<std::string> source_files, std::vector<int64_t> file_starts);

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  int classes() const override { return classes_; }
  int32_t label(int64_t index) const override { return labels_[static_cast<size_t>(index)]; }
  Shape shape() const override { return shape_; }
  bool in_memory() const override { return true; }
  Sample sample(int64_t index, Image& scratch) const override;
  std::string describe(int64_t index) const override;

  const std::vector<int32_t>& labels() const { return labels_; }
  const std::vector<uint8_t>& pixels() const { return pixels_; }

 private:
  std::vector<uint8_t> pixels_;  // [N, C, H, W]
  std::vector<int32_t> labels_;  // [N]
  Shape shape_;
  int classes_;
  std::vector<std::string> source_files_;  // file k holds samples [file_starts_[k], file_starts_[k+1])
  std::vector<int64_t> file_starts_;
};

}  // namespace dnntrain::data
