// A checkpoint's model from its stored run configuration; see checkpoint_model.hpp.
#include "apps/checkpoint_model.hpp"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/run_summary.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::apps {

namespace {

int config_int(const std::map<std::string, std::string>& config, const std::string& key,
               const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end())
    throw Error(fmt::format(
        "{}: its run configuration has no '{}'; give a checkpoint written by dnntrain train", file, key));
  int value = 0;
  const std::string& text = it->second;
  const auto [last, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || last != text.data() + text.size())
    throw Error(fmt::format("{}: its run configuration has {}={}, not an integer; the file is damaged", file,
                            key, engine::printable_utf8(text)));
  return value;
}

}  // namespace

CheckpointModel checkpoint_model(const std::string& checkpoint,
                                 const std::map<std::string, std::string>& metadata) {
  std::string text, source = checkpoint;
  if (const auto it = metadata.find("dnntrain.config"); it != metadata.end()) {
    text = it->second;
  } else {
    // A weights-only file in a run folder: the folder's config (RunFiles::write_config).
    const std::filesystem::path beside = std::filesystem::path(checkpoint).parent_path() / "config";
    std::ifstream in(beside);
    if (!in)
      throw Error(
          fmt::format("{}: no dnntrain.config in its metadata and no run config beside it; give "
                      "checkpoint.safetensors or best.safetensors from dnntrain train",
                      checkpoint));
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
    source = beside.string();
  }
  const auto config = config_values(text);
  CheckpointModel c;
  c.model.model = config.count("model") ? config.at("model") : "";
  c.model.image_size = config_int(config, "image-size", source);
  c.model.in_channels = config_int(config, "in-channels", source);
  c.model.classes = config_int(config, "classes", source);
  if (config.count("stem")) c.model.stem = config.at("stem");
  c.dataset = data::parse_dataset_kind(config.count("dataset") ? config.at("dataset") : "");
  return c;
}

}  // namespace dnntrain::apps
