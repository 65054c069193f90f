// Image-folder listing (a sorted recursive walk, as torchvision's make_dataset does) and per-sample
// decoding with the optional skip-and-count policy for corrupt images.
#include "data/image_folder.hpp"

#include <algorithm>
#include <fstream>

#include "data/file_io.hpp"
#include "data/image_decode.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {
namespace fs = std::filesystem;

bool has_image_extension(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}) {
    if (ext == e) return true;
  }
  return false;
}

ImageFolderDataset::ImageFolderDataset(const fs::path& root, Split split, ImageFolderOptions options)
    : options_(options) {
  require_exists(root, "image folder");
  const fs::path dir = root / (split == Split::train ? "train" : "val");
  require_exists(dir, "image folder split");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory()) class_names_.push_back(entry.path().filename().string());
  }
  std::sort(class_names_.begin(), class_names_.end());  // byte order = code-point order for UTF-8
  DNNTRAIN_CHECK(!class_names_.empty(), dir.string() + ": no class folders (empty split)");
  for (size_t c = 0; c < class_names_.size(); ++c) {
    const fs::path class_dir = dir / class_names_[c];
    std::vector<fs::path> found;
    for (const auto& entry :
         fs::recursive_directory_iterator(class_dir, fs::directory_options::follow_directory_symlink)) {
      if (entry.is_regular_file() && has_image_extension(entry.path())) found.push_back(entry.path());
    }
    DNNTRAIN_CHECK(!found.empty(), class_dir.string() + ": empty class folder (no .jpg/.jpeg/.png/… file)");
    // torchvision: sorted(os.walk(dir)) then sorted(fnames), i.e. by (folder string, file name).
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
      const std::string pa = a.parent_path().string(), pb = b.parent_path().string();
      return pa != pb ? pa < pb : a.filename().string() < b.filename().string();
    });
    for (auto& f : found) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<int32_t>(c));
    }
  }
}

bool ImageFolderDataset::try_decode(int64_t index, Image& scratch) const {
  static thread_local std::vector<uint8_t> bytes;
  const fs::path& file = files_[static_cast<size_t>(index)];
  try {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    DNNTRAIN_CHECK(in.good(), "cannot open " + file.string());
    const auto size = static_cast<size_t>(in.tellg());
    bytes.resize(size);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    DNNTRAIN_CHECK(static_cast<size_t>(in.gcount()) == size, "cannot read " + file.string());
    decode_image(bytes.data(), bytes.size(), file.string(), scratch);
    return true;
  } catch (const Error& e) {
    if (!options_.skip_bad_images) throw;
    std::lock_guard lock(bad_mutex_);
    if (bad_files_.insert(index).second && bad_messages_.size() < 100) bad_messages_.push_back(e.what());
    return false;
  }
}

Dataset::Sample ImageFolderDataset::sample(int64_t index, Image& scratch) const {
  const int64_t n = size();
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = (index + k) % n;
    if (try_decode(i, scratch)) return {scratch.view(), label(i)};
  }
  throw Error(describe(index) + ": no readable image in the whole folder");
}

int64_t ImageFolderDataset::bad_images() const {
  std::lock_guard lock(bad_mutex_);
  return static_cast<int64_t>(bad_files_.size());
}

std::vector<std::string> ImageFolderDataset::bad_image_messages() const {
  std::lock_guard lock(bad_mutex_);
  return bad_messages_;
}

}  // namespace dnntrain::data
