// A training run as its output folder records it: summary.csv's per-epoch rows and, from config,
// a one-line description (model, dataset, options) for chart titles.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dnntrain::apps {

struct RunSummary {
  std::string name;   // the folder's name
  std::string title;  // "resnet20 on fashion-mnist: sgd lr 0.1 ..." (the folder's name without config)
  std::vector<double> epoch, lr, train_loss, test_loss, train_top1, test_top1;  // top-1 in [0, 1]
};

// Reads `dir`/summary.csv (and `dir`/config if present). A repeated epoch keeps its last row.
// throws: dnntrain::Error naming the file when it is missing, has no rows, lacks a column, or
// holds a value that is not a finite number (a diverged run), so nothing broken gets drawn.
RunSummary read_run_summary(const std::string& dir);

// A config file's name=value lines, the "# resolved from the data:" words overriding them.
std::map<std::string, std::string> config_values(const std::string& config_text);

// The title line from a config file's text (name=value lines and the "# resolved" line).
std::string run_title(const std::string& config_text);

}  // namespace dnntrain::apps
