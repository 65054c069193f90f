// dnntrain predict: the top-5 classes, with probabilities, of JPEG/PNG images (or folders of them)
// under a checkpoint written by train; the model's shape, dataset and class names come from the
// checkpoint's metadata, the images go through the dataset's evaluation transform.
#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <dnntrain/metadata.hpp>
#include <dnntrain/predictor.hpp>
#include <filesystem>
#include <numeric>

#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/data_setup.hpp"
#include "apps/model_setup.hpp"
#include "apps/run_summary.hpp"
#include "data/file_io.hpp"
#include "data/image_decode.hpp"
#include "data/image_folder.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// Decoded images as a Dataset, so the evaluation transform runs unchanged: fixed-shape kinds see
// them "in memory" (resized to the model's size), image folders as files (resize + centre crop).
class DecodedImages final : public data::Dataset {
 public:
  DecodedImages(std::vector<data::Image> images, std::vector<std::string> files, bool fixed_shape)
      : images_(std::move(images)), files_(std::move(files)), fixed_shape_(fixed_shape) {}
  int64_t size() const override { return static_cast<int64_t>(images_.size()); }
  int classes() const override { return 1; }
  int32_t label(int64_t) const override { return 0; }
  Shape shape() const override {
    const data::Image& first = images_.front();
    return fixed_shape_ ? Shape{first.channels, first.height, first.width} : Shape{};
  }
  bool in_memory() const override { return fixed_shape_; }
  Sample sample(int64_t index, data::Image&) const override {
    return {images_[static_cast<size_t>(index)].view(), 0};
  }
  std::string describe(int64_t index) const override { return files_[static_cast<size_t>(index)]; }

 private:
  std::vector<data::Image> images_;
  std::vector<std::string> files_;
  bool fixed_shape_;
};

// Files named on the command line, folders expanded to their image files in sorted order.
std::vector<std::string> list_images(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    if (fs::is_directory(arg)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file() && data::has_image_extension(entry.path()))
          found.push_back(entry.path().string());
      if (found.empty()) throw UsageError(fmt::format("'{}' holds no .jpg/.jpeg/.png image", arg));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      throw UsageError(fmt::format("no such image or folder '{}'", arg));
    }
  }
  return files;
}

// RGB → the model's channels: kept for 3, ITU-R 601 luma (PIL's convert("L")) for 1.
data::Image to_channels(const data::Image& rgb, int channels, const std::string& file) {
  if (channels == 3) return rgb;
  if (channels != 1)
    throw Error(fmt::format("{}: cannot feed an RGB image to a {}-channel model", file, channels));
  data::Image gray;
  gray.resize(1, rgb.height, rgb.width);
  const size_t plane = static_cast<size_t>(rgb.height) * rgb.width;
  for (size_t i = 0; i < plane; ++i)
    gray.pixels[i] = static_cast<uint8_t>(
        (rgb.pixels[i] * 299 + rgb.pixels[plane + i] * 587 + rgb.pixels[2 * plane + i] * 114) / 1000);
  return gray;
}

int config_int(const std::map<std::string, std::string>& config, const std::string& key,
               const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end())
    throw Error(
        fmt::format("{}: its dnntrain.config metadata has no '{}'; predict needs a checkpoint written "
                    "by dnntrain train",
                    file, key));
  return std::stoi(it->second);
}

}  // namespace

int run_predict(const std::vector<std::string>& args) {
  std::string checkpoint;
  std::vector<std::string> inputs;
  int top = 5, threads = 0;
  po::options_description desc(
      "dnntrain predict --checkpoint FILE IMAGE_OR_FOLDER...: top classes with probabilities for each "
      "JPEG or PNG image\n(model, dataset and class names from the checkpoint's metadata; the dataset's "
      "evaluation transform)\noptions");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint), "checkpoint.safetensors or best.safetensors written by train")(
      "top", po::value(&top)->default_value(top), "classes shown per image")(
      "threads", po::value(&threads)->default_value(threads), "compute threads (0: all cores)")(
      "image", po::value(&inputs), "an image file or a folder of them (positional)");
  po::positional_options_description positional;
  positional.add("image", -1);
  po::variables_map vm;
  if (!parse_command_line(desc, args, vm, positional)) return 0;
  po::notify(vm);
  if (checkpoint.empty()) throw UsageError("--checkpoint is required");
  if (!fs::is_regular_file(checkpoint))
    throw UsageError(fmt::format("--checkpoint: no such file '{}'", checkpoint));
  if (inputs.empty()) throw UsageError("name at least one image or folder");
  if (top < 1) throw UsageError(fmt::format("--top must be at least 1, got {}", top));
  const std::vector<std::string> files = list_images(inputs);

  const std::map<std::string, std::string> metadata = read_metadata(checkpoint);
  const auto config_it = metadata.find("dnntrain.config");
  if (config_it == metadata.end())
    throw Error(
        fmt::format("{}: no dnntrain.config in its metadata (a weights-only file?); predict needs "
                    "checkpoint.safetensors or best.safetensors from dnntrain train",
                    checkpoint));
  const auto config = config_values(config_it->second);
  ModelOptions m;
  m.model = config.count("model") ? config.at("model") : "";
  m.image_size = config_int(config, "image-size", checkpoint);
  m.in_channels = config_int(config, "in-channels", checkpoint);
  m.classes = config_int(config, "classes", checkpoint);
  if (config.count("stem")) m.stem = config.at("stem");
  m.batch = 1;
  m.threads = threads;
  check_model_options(m);
  const data::DatasetKind kind =
      data::parse_dataset_kind(config.count("dataset") ? config.at("dataset") : "");
  const std::vector<std::string> names = class_names(metadata, kind, m.classes);

  std::vector<data::Image> images;
  for (const std::string& file : files) {
    data::Image rgb;
    const std::vector<uint8_t> bytes = data::read_file(file, data::kMaxImageFileBytes);
    data::decode_image(bytes.data(), bytes.size(), file, rgb);
    images.push_back(to_channels(rgb, m.in_channels, file));
  }
  const DecodedImages dataset(std::move(images), files, kind != data::DatasetKind::imagefolder);
  const data::SampleTransform transform(kind, dataset, transform_settings(kind, DataOptions{}, m.image_size),
                                        false);

  Predictor predictor(model_spec(m), checkpoint, {.threads = threads});
  std::vector<float> input(static_cast<size_t>(transform.output_elements()));  // [1, C, H, W]
  data::SampleTransform::Scratch scratch;
  const int k = std::min(top, m.classes);
  for (int64_t i = 0; i < dataset.size(); ++i) {
    transform.apply(dataset, i, 0, 0, input.data(), scratch);
    const Predictions prediction = predictor.predict(input);
    const float* log_probs = prediction.log_probs.data();  // [1, classes]
    std::vector<int> order(static_cast<size_t>(m.classes));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return log_probs[a] > log_probs[b]; });
    fmt::print("{}\n", files[static_cast<size_t>(i)]);
    for (int r = 0; r < k; ++r)
      fmt::print("  {}. {:<20} {:6.2f} %\n", r + 1, names[static_cast<size_t>(order[r])],
                 100 * std::exp(static_cast<double>(log_probs[order[r]])));
  }
  return 0;
}

}  // namespace dnntrain::apps
