// summary.csv is parsed by its header, so added columns do not break old or new readers; config is
// the INI text train writes, whose "# resolved from the data:" line names the model actually built.
#include "apps/run_summary.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "apps/limits.hpp"
#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string item; std::getline(in, item, sep);) out.push_back(item);
  return out;
}

// A run's text file, bounded and without blocking: a FIFO, a device or /dev/zero given as a run's
// file is refused at once (engine::read_file opens only regular files, non-blocking).
std::string read_text(const std::filesystem::path& file, uint64_t max_bytes) {
  const std::vector<uint8_t> bytes = engine::read_file(file.string(), max_bytes);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

std::map<std::string, std::string> config_values(const std::string& config_text) {
  std::map<std::string, std::string> v;
  auto put = [&](const std::string& word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos && eq > 0) v[word.substr(0, eq)] = word.substr(eq + 1);
  };
  const std::string resolved = "# resolved from the data: ";
  std::istringstream in(config_text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(resolved, 0) == 0) {  // "model=resnet20 image-size=28 ...": the model actually built
      for (const std::string& word : split(line.substr(resolved.size()), ' ')) put(word);
    } else if (!line.empty() && line[0] != '#') {
      put(line);
    }
  }
  return v;
}

std::string run_title(const std::string& config_text) {
  std::map<std::string, std::string> v = config_values(config_text);
  auto get = [&](const std::string& k) { return v.count(k) ? v[k] : std::string("?"); };
  std::string title = fmt::format("{} on {}: {} lr {}", get("model"), get("dataset"), get("opt"), get("lr"));
  if (get("opt") == "sgd") title += fmt::format(" momentum {}", get("momentum"));
  title += fmt::format(", wd {}, batch {}, {}", get("wd"), get("batch-size"), get("lr-scheduler"));
  if (get("sched-on-updates") == "true") title += " per update";
  if (v.count("lr-warmup-epochs") && v["lr-warmup-epochs"] != "0")
    title += fmt::format(", warmup {}", v["lr-warmup-epochs"]);
  if (v.count("label-smoothing") && v["label-smoothing"] != "0")
    title += fmt::format(", smoothing {}", v["label-smoothing"]);
  title += fmt::format(", augment {}, {} epoch{}, seed {}", get("augment"), get("epochs"),
                       get("epochs") == "1" ? "" : "s", get("seed"));
  return title;
}

RunSummary read_run_summary(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path file = fs::path(dir) / "summary.csv";
  std::error_code ec;
  DNNTRAIN_CHECK(
      fs::symlink_status(file, ec).type() != fs::file_type::not_found,
      fmt::format("cannot read '{}'; is '{}' a dnntrain train output folder?", file.string(), dir));
  std::istringstream in(read_text(file, kMaxSummaryBytes));
  RunSummary run;
  run.name = fs::path(dir).lexically_normal().filename().string();
  if (run.name.empty() || run.name == ".")
    run.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  const fs::path config = fs::path(dir) / "config";
  run.title = fs::symlink_status(config, ec).type() != fs::file_type::not_found
                  ? run_title(read_text(config, kMaxConfigBytes))
                  : run.name;

  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line, ',');
  const std::vector<std::pair<const char*, std::vector<double>*>> columns = {
      {"epoch", &run.epoch},           {"lr", &run.lr},
      {"train_loss", &run.train_loss}, {"test_loss", &run.test_loss},
      {"train_top1", &run.train_top1}, {"test_top1", &run.test_top1}};
  std::vector<size_t> index;
  for (const auto& [name, _] : columns) {
    size_t i = 0;
    while (i < header.size() && header[i] != name) ++i;
    DNNTRAIN_CHECK(i < header.size(),
                   fmt::format("'{}' has no column '{}' in its header", file.string(), name));
    index.push_back(i);
  }
  std::map<double, std::vector<double>> rows;  // by epoch: a repeated epoch keeps its last row
  for (int row = 2; std::getline(in, line); ++row) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split(line, ',');
    std::vector<double> values;
    for (size_t c = 0; c < columns.size(); ++c) {
      double v = NAN;
      try {
        v = index[c] < cells.size() ? std::stod(cells[index[c]]) : NAN;
      } catch (const std::exception&) {
      }
      DNNTRAIN_CHECK(
          std::isfinite(v),
          fmt::format("'{}' line {}: {} is '{}', not a finite number (the run diverged or the file "
                      "is damaged); no curves drawn",
                      file.string(), row, columns[c].first,
                      index[c] < cells.size() ? cells[index[c]] : std::string("missing")));
      values.push_back(v);
    }
    rows[values[0]] = values;
  }
  DNNTRAIN_CHECK(!rows.empty(), fmt::format("'{}' has no epochs yet; nothing to draw", file.string()));
  for (const auto& [_, values] : rows)
    for (size_t c = 0; c < columns.size(); ++c) columns[c].second->push_back(values[c]);
  return run;
}

}  // namespace dnntrain::apps
