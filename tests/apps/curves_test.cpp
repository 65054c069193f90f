// curves.svg after every epoch and `dnntrain plot` over several runs, checked by Python's own XML
// parser (svg_outline.py): well-formed, one polyline point per epoch, a title naming the run; a
// diverged (NaN) or empty run is a clear error that leaves no file behind.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;

namespace {


// Python's outline of an SVG: polyline point counts by panel, and the title texts.
struct Outline {
  std::map<std::string, std::vector<int>> points;  // panel id -> each polyline's point count
  std::string titles;
};

Outline outline(const fs::path& svg) {
  const CliResult r = run_shell("/usr/bin/python3 " DNNTRAIN_TEST_DIR "/svg_outline.py " + svg.string());
  INFO(svg.string() << ": " << r.out << r.err);
  REQUIRE(r.code == 0);
  Outline o;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string kind, panel;
    words >> kind;
    if (kind == "title") {
      o.titles += line.substr(6) + "\n";
    } else if (kind == "polyline") {
      int n = 0;
      words >> panel >> n;
      o.points[panel].push_back(n);
    }
  }
  return o;
}

fs::path train(const std::string& name, int epochs, const std::string& extra = "") {
  const fs::path dir = scratch_dir(name);
  const CliResult r = run_cli(std::string("train ") + kTinyRun + " --threads 1 --epochs " +
                              std::to_string(epochs) + " --output-dir " + dir.string() + " " + extra);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  return dir;
}

}  // namespace

TEST_CASE("train redraws curves.svg after every epoch: valid XML, one point per epoch, a title") {
  const fs::path dir = train("curves_run", 3, "--lr 0.05");
  Outline o = outline(dir / "curves.svg");
  CHECK(o.points["loss"] == std::vector<int>{3, 3});  // train, test
  CHECK(o.points["top1"] == std::vector<int>{3, 3});
  CHECK(o.points["lr"] == std::vector<int>{3});
  INFO(o.titles);
  CHECK(contains(o.titles, "resnet20 on synthetic"));
  CHECK(contains(o.titles, "sgd lr 0.05"));
  CHECK(contains(o.titles, "3 epochs"));
  CHECK(!fs::exists(dir / "curves.svg.tmp"));
}

TEST_CASE("plot draws several runs on one chart") {
  const fs::path a = train("curves_plot_a", 3), b = train("curves_plot_b", 2, "--sched-on-updates");
  const fs::path out = scratch_dir("curves_plot_out") / "compare.svg";
  const CliResult r = run_cli("plot " + a.string() + " " + b.string() + " -o " + out.string());
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  Outline o = outline(out);
  CHECK(o.points["loss"] == std::vector<int>{3, 3, 2, 2});
  CHECK(o.points["top1"] == std::vector<int>{3, 3, 2, 2});
  CHECK(o.points["lr"] == std::vector<int>{3, 2});
  CHECK(contains(o.titles, "2 runs compared"));
}

TEST_CASE("plot refuses a diverged or empty run with a message naming the file, and writes nothing") {
  const fs::path good = train("curves_bad_source", 2);
  const fs::path work = scratch_dir("curves_bad");
  const std::string summary = read_text(good / "summary.csv");

  fs::create_directories(work / "nan_run");
  std::string nan_rows = summary;
  const size_t row2 = nan_rows.find("\n2,") + 1;
  std::ostringstream damaged;  // epoch 2's test_loss (column 5) becomes nan
  std::istringstream cells(nan_rows.substr(row2, nan_rows.find('\n', row2) - row2));
  int column = 0;
  for (std::string cell; std::getline(cells, cell, ','); ++column)
    damaged << (column ? "," : "") << (column == 4 ? "nan" : cell);
  nan_rows.replace(row2, nan_rows.find('\n', row2) - row2, damaged.str());
  std::ofstream(work / "nan_run" / "summary.csv") << nan_rows;

  fs::create_directories(work / "empty_run");
  std::ofstream(work / "empty_run" / "summary.csv") << summary.substr(0, summary.find('\n') + 1);

  const fs::path out = work / "out.svg";
  const CliResult nan =
      run_cli("plot " + good.string() + " " + (work / "nan_run").string() + " -o " + out.string());
  INFO(nan.out << nan.err);
  CHECK(nan.code == 1);
  CHECK(contains(nan.err, "nan_run/summary.csv' line 3: test_loss is 'nan'"));
  CHECK(!fs::exists(out));

  const CliResult empty = run_cli("plot " + (work / "empty_run").string() + " -o " + out.string());
  INFO(empty.err);
  CHECK(empty.code == 1);
  CHECK(contains(empty.err, "has no epochs yet"));
  CHECK(!fs::exists(out));

  const CliResult missing = run_cli("plot " + (work / "no_such_run").string() + " -o " + out.string());
  CHECK(missing.code == 1);
  CHECK(contains(missing.err, "no_such_run/summary.csv"));
  CHECK(run_cli("plot " + good.string()).code == 2);  // no -o
}
