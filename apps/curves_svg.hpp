// Training curves as a standalone SVG: loss, top-1 and learning rate against epoch, one panel each,
// with ticked axes, a legend and a title. One run: train and test in two colours; several runs:
// one colour per run, train dashed and test solid.
#pragma once

#include <string>
#include <vector>

#include "apps/run_summary.hpp"

namespace dnntrain::apps {

// requires: runs not empty, each with at least one epoch and finite values (read_run_summary
// ensures both). Every series is one <polyline> with one point per epoch.
std::string curves_svg(const std::vector<RunSummary>& runs, const std::string& title);

// Reads `dir`'s run and writes `dir`/curves.svg atomically; throws dnntrain::Error as
// read_run_summary does, leaving any previous curves.svg as it was.
void write_run_curves(const std::string& dir);

}  // namespace dnntrain::apps
