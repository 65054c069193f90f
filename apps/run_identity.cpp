// shared_options reads the effective configuration train writes; check_resume_shape reads the
// configuration the checkpoint stores (its header only).
#include "apps/run_identity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "apps/command.hpp"
#include "apps/run_summary.hpp"
#include "engine/checkpoint/safetensors.hpp"

namespace dnntrain::apps {

namespace {

// The model shape resolved from the data, as (option, value).
std::vector<std::pair<std::string, std::string>> resolved_shape(const ModelOptions& m) {
  return {{"model", m.model},
          {"image-size", std::to_string(m.image_size)},
          {"in-channels", std::to_string(m.in_channels)},
          {"classes", std::to_string(m.classes)}};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> shared_options(const TrainOptions& o,
                                                                const data::Dataset& train,
                                                                const data::Dataset& test) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(o.effective_config);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    const std::string name = line.substr(0, eq);
    if (std::find(o.per_rank.begin(), o.per_rank.end(), name) == o.per_rank.end())
      out.emplace_back("--" + name, line.substr(eq + 1));
  }
  for (const auto& [name, value] : resolved_shape(o.model))
    out.emplace_back("--" + name + " (resolved)", value);
  out.emplace_back("training samples", std::to_string(train.size()));
  out.emplace_back("test samples", std::to_string(test.size()));
  return out;
}

void check_resume_shape(const TrainOptions& o) {
  if (o.resume.empty()) return;
  const engine::Safetensors st = engine::Safetensors::open(o.resume);
  const auto config = st.metadata().find("dnntrain.config");
  if (config == st.metadata().end()) return;  // not written by train: resume_checkpoint refuses it
  const auto saved = config_values(config->second);
  auto recorded = resolved_shape(o.model);
  recorded.emplace_back("stem", o.model.stem);
  recorded.emplace_back("dataset", o.data.dataset);
  for (const auto& [name, value] : recorded) {
    const auto it = saved.find(name);
    if (it != saved.end() && it->second != value)
      throw UsageError(fmt::format(
          "--{} {} differs from the {} that {} was trained with; resume with the options of the run "
          "that wrote it (or start a new run with --init to reuse its weights)",
          name, value, it->second, o.resume));
  }
}

}  // namespace dnntrain::apps
