// curves.svg after every epoch and `dnntrain plot` over several runs, checked by Python's own XML
// parser (svg_outline.py): well-formed, one polyline point per epoch, a title naming the run; a
// diverged (NaN) or empty run is a clear error that leaves no file behind.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
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
  double height = 0;
  std::vector<std::pair<double, std::string>> legend;  // each row's y and colour
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
    } else if (kind == "height") {
      words >> o.height;
    } else if (kind == "legend") {
      double y = 0;
      std::string colour;
      words >> y >> colour;
      o.legend.emplace_back(y, colour);
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

TEST_CASE("plot refuses a FIFO or a device as a run's file at once, naming it") {
  const fs::path dir = train("curves_special", 1);
  fs::remove(dir / "summary.csv");
  REQUIRE(run_shell("mkfifo " + (dir / "summary.csv").string()).code == 0);
  const CliResult fifo = run_shell("timeout 60 " + std::string(DNNTRAIN_CLI) + " plot " + dir.string() +
                                   " -o " + (dir / "c.svg").string());
  INFO(fifo.err);
  CHECK(fifo.code == 1);  // not 124: it did not hang
  CHECK(contains(fifo.err, "summary.csv"));
  const fs::path zero = train("curves_zero", 1);
  fs::remove(zero / "config");
  fs::create_symlink("/dev/zero", zero / "config");
  const CliResult dev = run_shell("timeout 60 " + std::string(DNNTRAIN_CLI) + " plot " + zero.string() +
                                  " -o " + (zero / "c.svg").string());
  INFO(dev.err);
  CHECK(dev.code == 1);
  CHECK(contains(dev.err, "config"));
}

TEST_CASE("plot writes well-formed SVG for run folders and titles holding control bytes or invalid UTF-8") {
  const fs::path run = train("curves_bytes", 2);
  const fs::path odd = run.parent_path() / "curves_bytes_\x01\xff\xfe<&>";
  fs::remove_all(odd);
  fs::copy(run, odd);
  const fs::path svg = run / "odd.svg";
  const CliResult r = run_cli("plot '" + odd.string() + "' '" + run.string() +
                              "' --title \"$(printf 'a\\002\\303(<b>')\" -o " + svg.string());
  INFO(r.err);
  REQUIRE(r.code == 0);
  outline(svg);  // requires well-formed XML
  const CliResult one = run_cli("plot '" + odd.string() + "' -o " + svg.string());
  REQUIRE(one.code == 0);
  outline(svg);
}

TEST_CASE("plot of 20 runs keeps the legend on the canvas, each run in its own colour") {
  const fs::path run = train("curves_many", 2);
  std::string dirs;
  for (int i = 0; i < 20; ++i) {
    const fs::path copy = run.parent_path() / ("curves_many_" + std::to_string(i));
    fs::remove_all(copy);
    fs::copy(run, copy);
    dirs += " " + copy.string();
  }
  const fs::path svg = run / "many.svg";
  REQUIRE(run_cli("plot" + dirs + " -o " + svg.string()).code == 0);
  const Outline o = outline(svg);
  REQUIRE(o.legend.size() == 22);  // 20 runs, then train (dashed) and test (solid)
  std::set<std::string> colours;
  for (size_t i = 0; i < o.legend.size(); ++i) {
    INFO("legend row " << i << " at y " << o.legend[i].first << ", canvas height " << o.height);
    CHECK(o.legend[i].first + 10 <= o.height);
    if (i < 20) colours.insert(o.legend[i].second);
  }
  CHECK(colours.size() == 20);
}
