// dnntrain eval: loads a checkpoint's model weights (ours, whose recorded options name the model, or
// torch's) into a dnntrain::Predictor and evaluates it on a dataset's test split: loss, top-1, top-5, and a confusion matrix for up to 20
// classes. The data pipeline feeds the predictor batch by batch.
#include <fmt/format.h>

#include <dnntrain/metadata.hpp>
#include <dnntrain/predictor.hpp>
#include <filesystem>
#include <iostream>

#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/data_setup.hpp"
#include "apps/json_text.hpp"
#include "apps/model_setup.hpp"
#include "apps/option_table.hpp"
#include "apps/run_summary.hpp"
#include "engine/checkpoint/atomic_file.hpp"

namespace dnntrain::apps {

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

// The model (and its preprocessing) the checkpoint's recorded options name: shape options given
// otherwise are refused, preprocessing options given on the command line win.
void take_model_from_checkpoint(OptionTable& t, const std::string& checkpoint) {
  const std::map<std::string, std::string> metadata = read_metadata(checkpoint);
  const auto config = metadata.find("dnntrain.config");
  if (config == metadata.end()) return;  // torch's state dict: the command line names the model
  const auto differences = t.take_recorded(config_values(config->second), [](const Option& option) {
    return option.checkpoint_rule() != FromCheckpoint::none;
  });
  std::vector<OptionDifference> refused;
  for (const auto& d : differences)
    if (t.option(d.name).checkpoint_rule() == FromCheckpoint::model) refused.push_back(d);
  if (!refused.empty())
    throw UsageError(fmt::format("--checkpoint {}: {}; its model is taken from it, leave those options out",
                                 checkpoint, describe_differences(refused)));
}

std::string evaluation_json(const ModelOptions& m, const DataOptions& d, const std::string& checkpoint,
                            const Evaluation& r) {
  std::string confusion;
  for (int i = 0; i < r.classes; ++i) {
    confusion += i ? ",[" : "[";
    for (int j = 0; j < r.classes; ++j)
      confusion += fmt::format("{}{}", j ? "," : "", r.confusion[static_cast<size_t>(i) * r.classes + j]);
    confusion += "]";
  }
  return fmt::format(
      "{{\"checkpoint\":{},\"model\":{},\"dataset\":{},\"samples\":{},\"loss\":{},\"top1\":{},"
      "\"top5\":{},\"classes\":{},\"confusion\":[{}]}}\n",
      json_string(checkpoint), json_string(m.model), json_string(d.dataset), r.samples, r.loss, r.top1, r.top5,
      r.classes, confusion);
}

}  // namespace

int run_eval(const std::vector<std::string>& args) {
  ModelOptions m;
  m.model = "auto";
  m.batch = 128;
  m.image_size = m.in_channels = m.classes = 0;
  DataOptions d;
  std::string checkpoint;
  bool json = false;
  OptionTable t(
      "dnntrain eval: evaluate a checkpoint on a dataset's test split\n"
      "(a checkpoint written by train names its model and preprocessing; for torch's state dicts, --model auto "
      "and --image-size/--in-channels/--classes 0 resolve from the dataset as in train)");
  t.add("checkpoint", checkpoint).help("safetensors file (from train, or torch's state_dict)").not_stored();
  declare_model_options(t, m);
  declare_data_options(t, d, DataUse::evaluation);
  t.flag("json", json).help("print one JSON object instead of the text report");
  if (!t.parse(args)) return 0;
  if (checkpoint.empty()) throw UsageError("--checkpoint is required");
  if (const auto problem = engine::not_a_regular_file(checkpoint))
    throw UsageError(fmt::format("--checkpoint: '{}' {}; give a checkpoint file", checkpoint, *problem));
  check_model_options_before_data(m);  // the values given, before the checkpoint is read
  take_model_from_checkpoint(t, checkpoint);
  check_model_options_before_data(m);
  const data::DatasetKind kind = check_data_options(d);
  if (kind == data::DatasetKind::imagefolder) d.class_names = trained_classes(checkpoint, d.data_path);
  auto test_set = open_split(kind, d, m, data::Split::test);
  resolve_model_from_data(m, kind, *test_set, d);
  if (kind == data::DatasetKind::imagefolder && d.val_crop_size > 0) m.image_size = d.val_crop_size;
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
  if (json) {
    std::fputs(evaluation_json(m, d, checkpoint, r).c_str(), stdout);
    return 0;
  }
  fmt::print("{} on {} test split ({} samples): loss {:.4f} top-1 {:.2f}% top-5 {:.2f}%\n", m.model,
             d.dataset, r.samples, r.loss, 100 * r.top1, 100 * r.top5);
  if (const std::string skipped = data::skipped_images_report(*test_set); !skipped.empty())
    fmt::print("{}\n", skipped);
  if (r.classes <= 20) print_confusion(r);
  return 0;
}

}  // namespace dnntrain::apps
