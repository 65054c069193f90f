// dnntrain export: a checkpoint written by train as an ONNX model (onnx/resnet_export.hpp), for
// ONNX Runtime, OpenVINO, OpenCV and other serving engines. The model, dataset and class names come
// from the checkpoint (apps/checkpoint_model.hpp); the weights are read as plain tensors, no plan.
#include <fmt/format.h>

#include <dnntrain/metadata.hpp>

#include "apps/checkpoint_model.hpp"
#include "apps/class_names.hpp"
#include "apps/command.hpp"
#include "apps/option_table.hpp"
#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "onnx/model_file.hpp"
#include "onnx/resnet_export.hpp"

namespace dnntrain::apps {

int run_export(const std::vector<std::string>& args) {
  std::string checkpoint, output;
  bool fold_bn = false, no_normalize = false;
  OptionTable t(
      "dnntrain export --checkpoint FILE --output MODEL.onnx: the trained model as ONNX (opset 17, input\n"
      "'input' (batch, C, H, W) in [0, 1], output 'logits' (batch, classes); the dataset's normalisation\n"
      "as its first nodes; mean, std, layout and class names in its metadata)");
  t.add("checkpoint", checkpoint).help("checkpoint.safetensors, best.safetensors or weights.safetensors from train");
  t.add("output", output).alias("o").help("the .onnx file to write (replaced atomically)");
  t.flag("fold-bn", fold_bn)
      .help("fold each batch norm into the convolution before it (Conv with bias; default: Conv then "
            "BatchNormalization)");
  t.flag("no-normalize", no_normalize)
      .help("leave the normalisation out of the graph: the model then takes normalised images (mean and std "
            "stay in the metadata)");
  if (!t.parse(args)) return 0;
  if (checkpoint.empty()) throw UsageError("--checkpoint is required");
  if (output.empty()) throw UsageError("--output is required");
  if (const auto why = engine::not_a_regular_file(checkpoint))
    throw UsageError(fmt::format("--checkpoint: '{}' {}", checkpoint, *why));

  const std::map<std::string, std::string> metadata = read_metadata(checkpoint);
  const CheckpointModel stored = checkpoint_model(checkpoint, metadata);
  const ModelOptions& m = stored.model;
  const engine::Safetensors weights = engine::Safetensors::read(checkpoint);
  engine::verify_checksum(weights, false);
  engine::check_finite_tensors(weights, {});

  onnx_export::ExportSpec spec;
  spec.topology = {.model = m.model, .classes = m.classes, .in_channels = m.in_channels};
  const auto stem = engine::find_named(layers::kStemNames, m.stem);
  if (!stem)
    throw Error(fmt::format("{}: its run configuration has stem={}; expected {}", checkpoint, m.stem,
                            engine::name_list(layers::kStemNames)));
  spec.topology.stem = *stem;
  spec.image_size = m.image_size;
  spec.fold_bn = fold_bn;
  spec.normalize = !no_normalize;
  const data::Normalization norm = data::normalization_for(stored.dataset, m.in_channels);
  spec.mean = norm.mean;
  spec.std = norm.std;
  // The names predict shows, unless they are only the "class <i>" placeholders.
  const std::vector<std::string> names = class_names(metadata, stored.dataset, m.classes);
  if (names.empty() || names[0] != "class 0" || !stored_class_names(metadata).empty())
    spec.class_names = names;
  spec.metadata["dnntrain.dataset"] = std::string(data::dataset_kind_name(stored.dataset));
  spec.metadata["dnntrain.image_size"] = std::to_string(m.image_size);

  onnx_export::write_onnx(onnx_export::resnet_to_onnx(spec, weights), output);
  fmt::print("wrote {} ({}{}, opset {})\n", output, m.model, fold_bn ? ", batch norm folded" : "",
             onnx_export::kOpset);
  return 0;
}

}  // namespace dnntrain::apps
