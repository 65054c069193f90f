// dnntrain eval: loads a checkpoint's model weights (ours or torch's) into a dnntrain::Predictor and
// evaluates it on a dataset's test split: loss, top-1, top-5, and a confusion matrix for up to 20
// classes. The data pipeline feeds the predictor batch by batch.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <dnntrain/metadata.hpp>
#include <dnntrain/predictor.hpp>
#include <filesystem>
#include <iostream>

#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/data_setup.hpp"
#include "apps/model_setup.hpp"
#include "engine/checkpoint/atomic_file.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

namespace {

void print_confusion(const Evaluation& r) {
  const int c = r.classes;
  fmt::print("confusion matrix (rows: true class, columns: predicted):\n{:>6}", "");
  for (int j = 0; j < c; ++j) fmt::print("{:>6}", j);
  fmt::print("\n");
  for (int i = 0; i < c; ++i) {
    fmt::print("{:>6}", i);
    for (int j = 0; j < c; ++j) fmt::print("{:>6}", r.confusion[static_cast<size_t>(i) * c + j]);
    fmt::print("\n");
  }
}

// An image folder's labels must be the model's: the class names train stored in the checkpoint,
// or else the folders of the data's train/ split; without either the command is refused, since
// numbering only the folders present would silently shift every label after a missing class.
std::vector<std::string> trained_classes(const std::string& checkpoint, const std::string& root) {
  std::vector<std::string> names = stored_class_names(read_metadata(checkpoint));
  if (!names.empty()) return names;
  if (std::filesystem::is_directory(std::filesystem::path(root) / "train")) return {};
  throw UsageError(fmt::format(
      "--checkpoint: '{}' stores no class names and '{}' has no train/ folder to number the classes by; "
      "evaluate a checkpoint written by dnntrain train, or give the data root it was trained on",
      checkpoint, root));
}

}  // namespace

int run_eval(const std::vector<std::string>& args) {
  ModelOptions m;
  m.model = "auto";
  m.batch = 128;
  m.image_size = m.in_channels = m.classes = 0;
  DataOptions d;
  std::string checkpoint;
  po::options_description desc(
      "dnntrain eval: evaluate a checkpoint on a dataset's test split\n"
      "(--model auto and --image-size/--in-channels/--classes 0 resolve from the dataset as in "
      "train)\noptions");
  desc.add_options()("help,h", "show this help")("checkpoint", po::value(&checkpoint),
                                                 "safetensors file (from train, or torch's state_dict)");
  add_model_options(desc, m);
  add_data_options(desc, d, false);
  po::variables_map vm;
  if (!parse_command_line(desc, args, vm)) return 0;
  po::notify(vm);
  if (checkpoint.empty()) throw UsageError("--checkpoint is required");
  if (const auto problem = engine::not_a_regular_file(checkpoint))
    throw UsageError(fmt::format("--checkpoint: '{}' {}; give a checkpoint file", checkpoint, *problem));
  check_model_options_before_data(m);
  const data::DatasetKind kind = check_data_options(d);
  if (kind == data::DatasetKind::imagefolder) d.class_names = trained_classes(checkpoint, d.data_path);
  auto test_set = open_split(kind, d, m, data::Split::test);
  resolve_model_from_data(m, kind, *test_set);
  check_model_options(m);

  Predictor predictor(model_spec(m), checkpoint, {.threads = compute_threads(m.threads)});
  PipelineSource source(test_set, kind, d, m.image_size, m.batch, false, 0);
  source.start_epoch(0, 0);
  const size_t image = model_spec(m).image_elements();
  const Evaluation r = predictor.evaluate([&](LabelledBatch& b) {
    engine::BatchRef batch;
    if (!source.next(batch)) return false;
    b.images = {batch.images, image * static_cast<size_t>(batch.n)};
    b.labels = {batch.labels, static_cast<size_t>(batch.n)};
    return true;
  });
  fmt::print("{} on {} test split ({} samples): loss {:.4f} top-1 {:.2f}% top-5 {:.2f}%\n", m.model,
             d.dataset, r.samples, r.loss, 100 * r.top1, 100 * r.top5);
  if (const std::string skipped = data::skipped_images_report(*test_set); !skipped.empty())
    fmt::print("{}\n", skipped);
  if (r.classes <= 20) print_confusion(r);
  return 0;
}

}  // namespace dnntrain::apps
