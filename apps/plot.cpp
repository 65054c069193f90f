// dnntrain plot: several training runs' summary.csv on one chart (loss, top-1, learning rate
// against epoch), to compare them side by side.
#include <fmt/format.h>

#include <span>

#include "apps/command.hpp"
#include "apps/curves_svg.hpp"
#include "apps/option_table.hpp"
#include "apps/run_summary.hpp"
#include "engine/checkpoint/atomic_file.hpp"

namespace dnntrain::apps {

int run_plot(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  std::string output, title;
  OptionTable t(
      "dnntrain plot RUN_DIR [RUN_DIR...] -o FILE.svg: draw the runs' summary.csv (train output folders) on one "
      "chart");
  t.add("output", output).alias("o").help("the SVG file to write");
  t.add("title", title).help("chart title (default: the runs' names, or the one run's options)");
  t.positional("run", dirs, "a train output folder");
  if (!t.parse(args)) return 0;
  if (dirs.empty()) throw UsageError("name at least one run folder (a train --output-dir)");
  if (output.empty()) throw UsageError("-o/--output FILE.svg is required");

  std::vector<RunSummary> runs;
  for (const std::string& dir : dirs) runs.push_back(read_run_summary(dir));
  if (title.empty()) {
    title = runs.size() == 1 ? runs[0].title : fmt::format("{} runs compared", runs.size());
    if (runs.size() > 1)
      for (size_t i = 0; i < runs.size(); ++i) title += fmt::format("{}{}", i ? ", " : ": ", runs[i].name);
  }
  const std::string svg = curves_svg(runs, title);
  engine::write_file_atomic(output, std::span(reinterpret_cast<const uint8_t*>(svg.data()), svg.size()));
  fmt::print("wrote {} ({} run{})\n", output, runs.size(), runs.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace dnntrain::apps
