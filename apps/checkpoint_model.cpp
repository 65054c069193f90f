// A checkpoint's model from its stored run configuration; see checkpoint_model.hpp.
#include "apps/checkpoint_model.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/command.hpp"
#include "apps/option_table.hpp"
#include "apps/run_summary.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

CheckpointModel checkpoint_model(const std::string& checkpoint,
                                 const std::map<std::string, std::string>& metadata) {
  std::string text, source = checkpoint;
  if (const auto it = metadata.find("dnntrain.config"); it != metadata.end()) {
    text = it->second;
  } else {
    // A file without the run's configuration in a run folder: the folder's config (RunFiles::write_config).
    const std::filesystem::path beside = std::filesystem::path(checkpoint).parent_path() / "config";
    std::ifstream in(beside);
    if (!in)
      throw Error(
          fmt::format("{}: no dnntrain.config in its metadata (a torch state dict?) and no run config beside "
                      "it; give checkpoint.safetensors, best.safetensors or weights.safetensors from dnntrain train",
                      checkpoint));
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
    source = beside.string();
  }
  CheckpointModel c;
  c.model.model = "";  // a configuration without one is refused below, never read as the default
  OptionTable recorded("");
  declare_model_options(recorded, c.model);
  declare_data_options(recorded, c.data, DataUse::evaluation);
  try {
    recorded.take_recorded(config_values(text),
                           [](const Option& o) { return o.checkpoint_rule() != FromCheckpoint::none; });
  } catch (const UsageError& e) {
    throw Error(fmt::format("{}: its recorded options are damaged: {}", source, e.what()));
  }
  const ModelOptions& m = c.model;
  if (m.model.empty() || m.image_size < 1 || m.in_channels < 1 || m.classes < 1)
    throw Error(fmt::format("{}: its recorded options name no complete model (model, image-size, in-channels, "
                            "classes); give a checkpoint written by dnntrain train",
                            source));
  c.dataset = data::parse_dataset_kind(c.data.dataset);
  return c;
}

}  // namespace dnntrain::apps
