// dnntrain predict: the top-5 classes, with probabilities, of JPEG/PNG images (or folders of them)
// under a checkpoint written by train; the model's shape, dataset and class names come from the
// checkpoint's metadata, the images go through the dataset's evaluation transform.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <dnntrain/metadata.hpp>
#include <dnntrain/predictor.hpp>
#include <filesystem>
#include <numeric>

#include "apps/checkpoint_model.hpp"
#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/data_setup.hpp"
#include "apps/json_text.hpp"
#include "apps/limits.hpp"
#include "apps/model_setup.hpp"
#include "apps/option_table.hpp"
#include "apps/predict_input.hpp"
#include "data/file_io.hpp"
#include "data/image_folder.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::apps {

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
  int top = 5;
  bool skip_bad_images = false, json = false;
  ModelOptions m;
  m.model = "";  // from the checkpoint
  m.batch = 1;
  OptionTable t(
      "dnntrain predict --checkpoint FILE IMAGE_OR_FOLDER...: top classes with probabilities for each "
      "JPEG or PNG image\n(model, dataset, preprocessing and class names from the checkpoint's recorded "
      "options; the dataset's evaluation transform)");
  t.add("checkpoint", checkpoint).help("checkpoint.safetensors, best.safetensors or weights.safetensors from train");
  t.add("top", top).help("classes shown per image").range(1, INT32_MAX);
  t.add("threads", m.threads).help("compute threads (0: all cores)").range(0, hardware_threads());
  t.flag("skip-bad-images", skip_bad_images)
      .help("report an unreadable image on stderr and go on with the next (default: stop there, exit 1)");
  t.flag("json", json).help("print one JSON object (every image's top classes) instead of the text report");
  t.positional("image", inputs, "an image file or a folder of them");
  if (!t.parse(args)) return 0;
  if (checkpoint.empty()) throw UsageError("--checkpoint is required");
  if (!fs::is_regular_file(checkpoint))
    throw UsageError(fmt::format("--checkpoint: no such file '{}'", checkpoint));
  if (inputs.empty()) throw UsageError("name at least one image or folder");
  const std::vector<std::string> files = list_images(inputs);

  const std::map<std::string, std::string> metadata = read_metadata(checkpoint);
  const CheckpointModel stored = checkpoint_model(checkpoint, metadata);
  const int threads = m.threads;
  m = stored.model;
  m.batch = 1;
  m.threads = threads;
  DataOptions d = stored.data;
  const data::DatasetKind kind = stored.dataset;
  if (kind == data::DatasetKind::imagefolder && d.val_crop_size > 0) m.image_size = d.val_crop_size;
  check_model_options(m);
  std::vector<std::string> names = class_names(metadata, kind, m.classes);
  for (std::string& name : names) name = engine::printable_utf8(name);  // one line per class, always

  PredictShape shape;
  shape.kind = kind;
  shape.channels = m.in_channels;
  shape.transform = transform_settings(kind, d, m.image_size, false);

  Predictor predictor(model_spec(m), checkpoint, {.threads = m.threads});
  const int k = std::min(top, m.classes);
  const size_t input_elements = static_cast<size_t>(m.in_channels) * m.image_size * m.image_size;
  std::vector<uint8_t> bytes;
  std::vector<float> input;  // [1, C, H, W]
  PredictScratch scratch;
  std::vector<int> order(static_cast<size_t>(m.classes));
  int64_t skipped = 0;
  std::string json_images;  // --json: one object per image
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
    if (json) {
      std::string classes;
      for (int r = 0; r < k; ++r)
        classes += fmt::format("{}{{\"class\":{},\"index\":{},\"probability\":{}}}", r ? "," : "",
                               json_string(names[static_cast<size_t>(order[r])]), order[r],
                               std::exp(static_cast<double>(log_probs[order[r]])));
      json_images += fmt::format("{}{{\"file\":{},\"top\":[{}]}}", json_images.empty() ? "" : ",",
                                 json_string(file), classes);
      continue;
    }
    fmt::print("{}\n", file);
    for (int r = 0; r < k; ++r)
      fmt::print("  {}. {:<20} {:6.2f} %\n", r + 1, names[static_cast<size_t>(order[r])],
                 100 * std::exp(static_cast<double>(log_probs[order[r]])));
  }
  if (json)
    fmt::print("{{\"checkpoint\":{},\"model\":{},\"images\":[{}],\"skipped\":{}}}\n", json_string(checkpoint),
               json_string(m.model), json_images, skipped);
  if (skipped > 0)
    fmt::print(stderr, "dnntrain predict: skipped {} unreadable image(s) of {}\n", skipped, files.size());
  return 0;
}

}  // namespace dnntrain::apps
