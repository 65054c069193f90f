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

#include "apps/checkpoint_model.hpp"
#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/data_setup.hpp"
#include "apps/model_setup.hpp"
#include "apps/predict_input.hpp"
#include "data/file_io.hpp"
#include "data/image_folder.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

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

}  // namespace

int run_predict(const std::vector<std::string>& args) {
  std::string checkpoint;
  std::vector<std::string> inputs;
  int top = 5, threads = 0;
  bool skip_bad_images = false;
  po::options_description desc(
      "dnntrain predict --checkpoint FILE IMAGE_OR_FOLDER...: top classes with probabilities for each "
      "JPEG or PNG image\n(model, dataset and class names from the checkpoint's metadata; the dataset's "
      "evaluation transform)\noptions");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint), "checkpoint.safetensors or best.safetensors written by train")(
      "top", po::value(&top)->default_value(top), "classes shown per image")(
      "threads", po::value(&threads)->default_value(threads), "compute threads (0: all cores)")(
      "skip-bad-images", po::bool_switch(&skip_bad_images),
      "report an unreadable image on stderr and go on with the next (default: stop there, exit 1)")(
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
  const CheckpointModel stored = checkpoint_model(checkpoint, metadata);
  ModelOptions m = stored.model;
  m.batch = 1;
  m.threads = threads;
  check_model_options(m);
  const data::DatasetKind kind = stored.dataset;
  std::vector<std::string> names = class_names(metadata, kind, m.classes);
  for (std::string& name : names) name = engine::printable_utf8(name);  // one line per class, always

  PredictShape shape;
  shape.kind = kind;
  shape.channels = m.in_channels;
  shape.transform = transform_settings(kind, DataOptions{}, m.image_size);

  Predictor predictor(model_spec(m), checkpoint, {.threads = threads});
  const int k = std::min(top, m.classes);
  const size_t input_elements = static_cast<size_t>(m.in_channels) * m.image_size * m.image_size;
  std::vector<uint8_t> bytes;
  std::vector<float> input;  // [1, C, H, W]
  PredictScratch scratch;
  std::vector<int> order(static_cast<size_t>(m.classes));
  int64_t skipped = 0;
  // One image at a time: read (raw, bounded), decode, predict, print; memory stays that of one image.
  for (const std::string& file : files) {
    try {
      data::read_raw_file(file, data::kMaxImageFileBytes, bytes);
      image_to_input(bytes.data(), bytes.size(), file, shape, input, scratch);
    } catch (const Error& e) {
      if (!skip_bad_images) throw;
      fmt::print(stderr, "dnntrain predict: skipped {}\n", e.what());
      ++skipped;
      continue;
    }
    DNNTRAIN_CHECK(input.size() == input_elements,
                   fmt::format("{}: the transform made {} values, the model takes {}", file, input.size(),
                               input_elements));
    const Predictions prediction = predictor.predict(input);
    const float* log_probs = prediction.log_probs.data();  // [1, classes]
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return log_probs[a] > log_probs[b]; });
    fmt::print("{}\n", file);
    for (int r = 0; r < k; ++r)
      fmt::print("  {}. {:<20} {:6.2f} %\n", r + 1, names[static_cast<size_t>(order[r])],
                 100 * std::exp(static_cast<double>(log_probs[order[r]])));
  }
  if (skipped > 0)
    fmt::print(stderr, "dnntrain predict: skipped {} unreadable image(s) of {}\n", skipped, files.size());
  return 0;
}

}  // namespace dnntrain::apps
