// Image folders in torchvision's layout: root/{train,val}/<class>/…/<image>, classes numbered in
// sorted name order of train's class folders, for both splits (torchvision's class_to_idx shared
// between them). Files are listed once; each image is decoded when the pipeline asks for it.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/image_decode.hpp"

namespace dnntrain::data {

struct ImageFolderOptions {
  // A corrupt or unsupported image normally throws. With skip_bad_images it is counted, its message
  // kept, and the next readable image in file order (with that image's label) takes its place, so
  // batches keep their size and stay deterministic.
  bool skip_bad_images = false;
  // Images whose header declares more pixels are bad images (0: no limit); PIL's default.
  uint64_t max_image_pixels = kDefaultMaxImagePixels;
  // The classes in label order, when a trained model fixes them (eval takes them from the
  // checkpoint); empty: train's class folders.
  std::vector<std::string> class_names = {};
};

class ImageFolderDataset final : public Dataset {
 public:
  // Lists `root`/train (Split::train) or `root`/val (Split::test). Classes are options.class_names
  // if given, else train's class folders in sorted order; val's folders take the index of the same
  // name, so val may hold a subset (with neither, val's own folders are the classes). Throws dnntrain::Error
  // naming the folder if it is missing, has no class folders, a class folder holds no image file, or a val
  // class folder has no train folder of the same name.
  ImageFolderDataset(const std::filesystem::path& root, Split split, ImageFolderOptions options = {});

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int classes() const override { return static_cast<int>(class_names_.size()); }
  int32_t label(int64_t index) const override { return labels_[static_cast<size_t>(index)]; }
  Shape shape() const override { return {}; }
  bool in_memory() const override { return false; }
  Sample sample(int64_t index, Image& scratch) const override;
  std::string describe(int64_t index) const override { return files_[static_cast<size_t>(index)].string(); }

  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::filesystem::path& split_dir() const { return dir_; }
  const std::vector<std::filesystem::path>& files() const { return files_; }
  // Distinct files found corrupt so far (only non-zero with skip_bad_images); thread-safe.
  int64_t bad_images() const;
  std::vector<std::string> bad_image_messages() const;

 private:
  // Decodes file `index` into scratch; returns false (and records why) if it fails and skipping is on.
  bool try_decode(int64_t index, Image& scratch) const;
  bool known_bad(int64_t index) const;  // found bad earlier in this run

  std::filesystem::path dir_;  // root/train or root/val
  std::vector<std::filesystem::path> files_;
  std::vector<int32_t> labels_;
  std::vector<std::string> class_names_;
  ImageFolderOptions options_;
  mutable std::mutex bad_mutex_;
  mutable std::set<int64_t> bad_files_;
  mutable std::vector<std::string> bad_messages_;
};

// One line for --skip-bad-images: "<root>: skipped N unreadable images so far (first: <message>)",
// or empty when `dataset` skipped none (or is not an image folder).
std::string skipped_images_report(const Dataset& dataset);

// torchvision's IMG_EXTENSIONS test on a lower-cased file name.
bool has_image_extension(const std::filesystem::path& file);

}  // namespace dnntrain::data
