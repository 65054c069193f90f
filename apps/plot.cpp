// dnntrain plot: several training runs' summary.csv on one chart (loss, top-1, learning rate
// against epoch), to compare them side by side.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <span>

#include "apps/command.hpp"
#include "apps/curves_svg.hpp"
#include "apps/options.hpp"
#include "engine/checkpoint/atomic_file.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

int run_plot(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  std::string output, title;
  po::options_description desc(
      "dnntrain plot RUN_DIR [RUN_DIR...] -o FILE.svg: draw the runs' summary.csv (train output "
      "folders) on one chart\noptions");
  desc.add_options()("help,h", "show this help")("output,o", po::value(&output), "the SVG file to write")(
      "title", po::value(&title), "chart title (default: the runs' names, or the one run's options)")(
      "run", po::value(&dirs), "a train output folder (positional)");
  po::positional_options_description positional;
  positional.add("run", -1);
  po::variables_map vm;
  if (!parse_command_line(desc, args, vm, positional)) return 0;
  po::notify(vm);
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
