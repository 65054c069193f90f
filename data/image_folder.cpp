// Image-folder listing (a sorted recursive walk, as torchvision's make_dataset does) and per-sample
// decoding with the optional skip-and-count policy for corrupt images.
#include "data/image_folder.hpp"

#include <algorithm>
#include <map>

#include "data/file_io.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

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

namespace {

// The class folders directly under `dir`, in byte order (= code-point order for UTF-8 names).
std::vector<std::string> class_folders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    // The names go into checkpoints (JSON), logs and predict's output, one per line.
    if (const std::string problem = engine::name_problem(name); !problem.empty())
      throw Error(dir.string() + "/" + engine::printable_utf8(name) + ": the class folder's name " + problem +
                  "; rename the folder (class names are stored in the checkpoint)");
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Image files may be large but not unbounded: a PNG of PIL's pixel limit stored uncompressed is 270 MB.

}  // namespace

ImageFolderDataset::ImageFolderDataset(const fs::path& root, Split split, ImageFolderOptions options)
    : options_(options) {
  require_exists(root, "image folder");
  dir_ = root / (split == Split::train ? "train" : "val");
  require_exists(dir_, "image folder split");
  const std::vector<std::string> present = class_folders(dir_);
  DNNTRAIN_CHECK(!present.empty(), dir_.string() + ": no class folders (empty split)");
  const fs::path train_dir = root / "train";
  const bool given = !options.class_names.empty();
  class_names_ = given                                                 ? options.class_names
                 : split == Split::test && fs::is_directory(train_dir) ? class_folders(train_dir)
                                                                       : present;
  std::map<std::string, int32_t> index;
  for (size_t i = 0; i < class_names_.size(); ++i) index.emplace(class_names_[i], static_cast<int32_t>(i));
  for (const std::string& name : present) {
    const auto it = index.find(name);
    const fs::path class_dir = dir_ / name;
    DNNTRAIN_CHECK(it != index.end(), class_dir.string() + ": class '" + name + "' is not one of " +
                                          (given ? std::string("the model's classes")
                                                 : "the class folders in " + train_dir.string()) +
                                          "; the classes must be those the model was trained on");
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
      labels_.push_back(it->second);
    }
  }
}

bool ImageFolderDataset::try_decode(int64_t index, Image& scratch) const {
  static thread_local std::vector<uint8_t> bytes;
  const fs::path& file = files_[static_cast<size_t>(index)];
  std::string failure;
  try {
    read_raw_file(file, kMaxImageFileBytes, bytes);
    decode_image(bytes.data(), bytes.size(), file.string(), scratch, options_.max_image_pixels);
    return true;
  } catch (const Error& e) {
    if (!options_.skip_bad_images) throw;
    failure = e.what();
  } catch (const std::bad_alloc&) {
    failure = file.string() + ": out of memory reading or decoding the image";
    if (!options_.skip_bad_images) throw Error(failure);
  }
  std::lock_guard lock(bad_mutex_);
  if (bad_files_.insert(index).second && bad_messages_.size() < 100) bad_messages_.push_back(failure);
  return false;
}

Dataset::Sample ImageFolderDataset::sample(int64_t index, Image& scratch) const {
  const int64_t n = size();
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = (index + k) % n;
    if (known_bad(i)) continue;  // each bad file is tried once per run, not once per sample after it
    if (try_decode(i, scratch)) return {scratch.view(), label(i)};
  }
  throw Error(describe(index) + ": no readable image in the whole folder");
}

bool ImageFolderDataset::known_bad(int64_t index) const {
  std::lock_guard lock(bad_mutex_);
  return bad_files_.count(index) > 0;
}

int64_t ImageFolderDataset::bad_images() const {
  std::lock_guard lock(bad_mutex_);
  return static_cast<int64_t>(bad_files_.size());
}

std::vector<std::string> ImageFolderDataset::bad_image_messages() const {
  std::lock_guard lock(bad_mutex_);
  return bad_messages_;
}

std::string skipped_images_report(const Dataset& dataset) {
  const auto* folder = dynamic_cast<const ImageFolderDataset*>(&dataset);
  if (folder == nullptr || folder->bad_images() == 0) return {};
  const std::vector<std::string> messages = folder->bad_image_messages();
  return folder->split_dir().string() + ": skipped " + std::to_string(folder->bad_images()) +
         " unreadable images so far (--skip-bad-images; first: " + messages.front() + ")";
}

}  // namespace dnntrain::data
