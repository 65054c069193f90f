// --tensorboard's event file read back by the real `tensorboard` package (EventAccumulator, from
// PyPI into build/venv by scripts/test_venv.sh): tags, steps and values equal log.jsonl's.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;

namespace {

// The number after "key": in one log.jsonl line.
double json_number(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  REQUIRE_MESSAGE(at != std::string::npos, key << " missing in " << line);
  return std::stod(line.substr(at + key.size() + 3));
}

using Scalars = std::map<std::string, std::map<int64_t, double>>;  // tag -> step -> value

}  // namespace

TEST_CASE("--tensorboard writes scalars that TensorBoard's EventAccumulator reads back") {
  REQUIRE_MESSAGE(fs::exists(DNNTRAIN_VENV_PYTHON),
                  "no " DNNTRAIN_VENV_PYTHON
                  "; run scripts/test_venv.sh (ctest's test_venv "
                  "fixture does) with PyPI reachable");
  const fs::path dir = scratch_dir("tensorboard");
  const CliResult r = run_cli(std::string("train ") + kTinyRun +
                              " --threads 1 --epochs 2 --tensorboard --output-dir " + dir.string());
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "tensorboard"))
    files += entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  CHECK(files == 1);

  const CliResult read = run_shell(DNNTRAIN_VENV_PYTHON " " DNNTRAIN_TEST_DIR "/read_tfevents.py " +
                                   (dir / "tensorboard").string());
  INFO(read.out << read.err);
  REQUIRE(read.code == 0);
  Scalars got;
  std::istringstream in(read.out);
  std::string version;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string tag;
    words >> tag;
    if (tag == "file_version") {
      words >> version;
      continue;
    }
    int64_t step = 0;
    double value = 0;
    words >> step >> value;
    got[tag][step] = value;
  }
  CHECK(std::stod(version) == 2);

  Scalars want;  // from log.jsonl (%.6g text; images_per_sec %.1f)
  std::istringstream log(read_text(dir / "log.jsonl"));
  for (std::string line; std::getline(log, line);) {
    if (line.find("\"type\":\"step\"") != std::string::npos) {
      const auto step = static_cast<int64_t>(json_number(line, "step"));
      want["step/loss"][step] = json_number(line, "loss");
      want["step/lr"][step] = json_number(line, "lr");
      want["step/images_per_sec"][step] = json_number(line, "images_per_sec");
    } else if (line.find("\"type\":\"epoch\"") != std::string::npos) {
      const auto epoch = static_cast<int64_t>(json_number(line, "epoch"));
      for (const char* key : {"train_loss", "test_loss", "train_top1", "test_top1", "lr"})
        want[std::string("epoch/") + key][epoch] = json_number(line, key);
    }
  }
  REQUIRE(want["step/loss"].size() == 16);  // 8 steps per epoch, --print-freq 1
  CHECK(got.size() == want.size());
  for (const auto& [tag, steps] : want) {
    INFO(tag);
    REQUIRE(got.count(tag) == 1);
    CHECK(got[tag].size() == steps.size());
    for (const auto& [step, value] : steps) {
      INFO("step " << step);
      REQUIRE(got[tag].count(step) == 1);
      // float32 in the event file; 6 significant digits (or 0.1 images/s) in log.jsonl
      const double tolerance =
          tag == "step/images_per_sec" ? 0.051 + 1e-6 * value : 1e-5 * std::abs(value) + 1e-9;
      CHECK_MESSAGE(std::abs(got[tag][step] - value) <= tolerance,
                    "event " << got[tag][step] << " log " << value << " (abs err "
                             << std::abs(got[tag][step] - value) << ")");
    }
  }
}
