// Property: whatever bytes a class folder's name or a run folder's name holds (all but '/' and NUL,
// which no file name can), a training run either refuses it with one line and exit 1 or 2 before
// writing a checkpoint, or writes files that all parse with independent parsers
// (check_outputs.py: checkpoint headers as JSON, log.jsonl, curves.svg as XML, summary.csv), and
// `dnntrain plot` of the run writes well-formed XML.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "tests/apps/cli_run.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
namespace dt = dnntrain::data::test;

namespace {

// A file name of 1-12 bytes drawn from pieces that have broken writers: control bytes, invalid
// UTF-8, XML and shell specials, '#', spaces, multi-byte UTF-8, and plain letters.
// `printable_only`: without the control bytes and invalid UTF-8, so that some runs train.
std::string random_name(std::mt19937& rng, bool printable_only) {
  static const std::vector<std::string> pieces = {"a",
                                                  "Z",
                                                  "0",
                                                  "<",
                                                  "&",
                                                  ">",
                                                  "\"",
                                                  "'",
                                                  "\\",
                                                  "=",
                                                  ",",
                                                  "#",
                                                  " ",
                                                  "\xc3\xa9",
                                                  "\xe2\x82\xac",
                                                  "\xf0\x9f\x98\x80",
                                                  "\n",
                                                  "\r",
                                                  "\t",
                                                  "\x01",
                                                  "\x1b",
                                                  "\x7f",
                                                  "\xff",
                                                  "\xfe",
                                                  "\xc3",
                                                  "\xed\xa0\x80",
                                                  "\x80"};
  const size_t printable = 16;  // pieces[0, 16) are UTF-8 text without control characters
  std::string name;
  const int n = std::uniform_int_distribution<int>(1, 6)(rng);
  for (int i = 0; i < n; ++i)
    name += pieces[std::uniform_int_distribution<size_t>(
        0, printable_only ? printable - 1 : pieces.size() - 1)(rng)];
  if (name == "." || name == "..") name += "x";
  return name;
}

// `text` as one shell word.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

TEST_CASE("random bytes in class and run names: refused with one line, or every output file parses") {
  std::mt19937 rng(20261204);
  int trained = 0, refused = 0;
  for (int trial = 0; trial < 16; ++trial) {
    const fs::path dir = scratch_dir("names_property_" + std::to_string(trial));
    const std::string class_name = random_name(rng, trial % 2 == 0),
                      run_name = random_name(rng, trial % 4 == 0);
    for (const std::string& name : {class_name, std::string("plain")})
      for (const char* split : {"train", "val"})
        for (int i = 0; i < 2; ++i)
          dt::write_png(dir / "data" / split / name / (std::to_string(i) + ".png"), 8, 8, dt::kPngRgb,
                        dt::flat(8, 8, {static_cast<uint8_t>(100 * i), 50, 150}));
    const fs::path run = dir / run_name;
    const CliResult r = run_cli(
        "train --dataset imagefolder --model resnet20 --image-size 8 -b 2 --epochs 1 "
        "--threads 1 --workers 1 --data-path " +
        quoted((dir / "data").string()) + " --output-dir " + quoted(run.string()));
    INFO("trial " << trial << ": class " << quoted(class_name) << ", run " << quoted(run_name) << "\n"
                  << r.out << r.err);
    if (r.code != 0) {
      ++refused;
      CHECK((r.code == 1 || r.code == 2));
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(!fs::exists(run / "checkpoint.safetensors"));
      continue;
    }
    ++trained;
    const CliResult parsed =
        run_shell("/usr/bin/python3 " DNNTRAIN_TEST_DIR "/check_outputs.py " + quoted(run.string()));
    INFO(parsed.out << parsed.err);
    CHECK(parsed.code == 0);
    const CliResult plot = run_cli("plot " + quoted(run.string()) + " " + quoted(run.string()) + " -o " +
                                   quoted((dir / "both.svg").string()));
    CHECK(plot.code == 0);
    CHECK(run_shell("/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' " +
                    quoted((dir / "both.svg").string()))
              .code == 0);
  }
  MESSAGE(trained << " runs trained, " << refused << " refused");
  CHECK(trained > 0);
  CHECK(refused > 0);
}
