// The option declarations end to end: the README's option lists equal --help-markdown, --resume
// takes the options that define a run from its checkpoint and lists the ones given otherwise,
// eval reads the model from the checkpoint, torchvision's flags (warmup method, --amp, --weights,
// --test-only, --start-epoch, --sync-bn, hints for flags we lack), --version, --json, and the
// weights file every run leaves, loaded by PyTorch with load_state_dict(strict=True).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/apps/cli_run.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
namespace dt = dnntrain::data::test;

namespace {

const std::string kReadme = std::string(DNNTRAIN_TEST_DIR) + "/../../README.md";

// A line of summary.csv: "epoch,lr,..." → the lr of epoch `epoch` (1-based row).
std::string summary_lr(const fs::path& dir, int row) {
  std::istringstream in(read_text(dir / "summary.csv"));
  std::string line;
  for (int i = 0; i <= row && std::getline(in, line);) ++i;
  const auto a = line.find(','), b = line.find(',', a + 1);
  return line.substr(a + 1, b - a - 1);
}

// Python's json module parses `text` and evaluates `expression` on it as `j`; true if it prints True.
bool json_holds(const std::string& text, const std::string& expression) {
  const fs::path file = scratch_dir("options_json") / "out.json";
  std::ofstream(file) << text;
  const auto r = run_shell("/usr/bin/python3 -c \"import json,sys; j=json.load(open(sys.argv[1])); print(" +
                           expression + ")\" " + file.string());
  INFO(text << r.err);
  return r.code == 0 && contains(r.out, "True");
}

}  // namespace

TEST_CASE("the README's option lists are the declarations (regenerate: dnntrain <command> --help-markdown)") {
  const std::string readme = read_text(kReadme);
  for (const std::string command : {"train", "eval", "bench", "predict", "plot"}) {
    INFO(command);
    const auto r = run_cli(command + " --help-markdown");
    REQUIRE(r.code == 0);
    const std::string begin = "<!-- options: " + command + " (dnntrain " + command + " --help-markdown) -->\n";
    const auto at = readme.find(begin);
    REQUIRE(at != std::string::npos);
    const auto end = readme.find("<!-- end options -->", at);
    REQUIRE(end != std::string::npos);
    CHECK(readme.substr(at + begin.size(), end - at - begin.size()) == r.out);
  }
}

TEST_CASE("--resume takes the run's options from the checkpoint and refuses others, listing them") {
  const fs::path dir = scratch_dir("options_resume");
  const std::string common = std::string("train ") + kTinyRun + " --threads 1 --output-dir " + dir.string();
  REQUIRE(run_cli(common + " --epochs 2 --lr 0.05 --momentum 0.5 --steps 3").code == 0);
  const std::string checkpoint = (dir / "checkpoint.safetensors").string();
  const auto refused = expect_error(common + " --resume " + checkpoint + " --lr 0.5 --momentum 0.8 --epochs 2", 2,
                                    "--lr 0.5 (the checkpoint has 0.05), --momentum 0.8 (the checkpoint has 0.5)");
  // Without them: the checkpoint's values, --epochs included (T_max stays that of 2 epochs).
  const auto resumed = run_cli(common + " --resume " + checkpoint);
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.code == 0);
  const std::string config = read_text(dir / "config");
  CHECK(contains(config, "lr=0.05\n"));
  CHECK(contains(config, "momentum=0.5\n"));
  CHECK(contains(config, "epochs=2\n"));
  CHECK(!contains(resumed.out, "notice"));
  // Extending --epochs is allowed, with a notice about the schedule.
  const auto extended = run_cli(common + " --resume " + checkpoint + " --epochs 3");
  INFO(extended.out << extended.err);
  CHECK(extended.code == 0);
  CHECK(contains(extended.out, "notice: --epochs 3 (the checkpoint has 2): the cosine schedule now ends at epoch 3"));
}

TEST_CASE("eval takes the model from a checkpoint train wrote, refuses another, and prints one JSON object") {
  const fs::path dir = scratch_dir("options_eval");
  REQUIRE(run_cli(std::string("train ") + kTinyRun + " --model resnet32 --threads 1 --steps 2 --output-dir " +
                  dir.string())
              .code == 0);
  const std::string weights = (dir / "weights.safetensors").string();
  const auto r = run_cli("eval --synthetic-samples 128 --threads 1 --checkpoint " + weights + " --json");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(json_holds(r.out, "j['model'] == 'resnet32' and j['dataset'] == 'synthetic' and j['samples'] == 32 and "
                          "len(j['confusion']) == 10 and 0 <= j['top1'] <= j['top5'] <= 1"));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  const auto text = run_cli("eval --synthetic-samples 128 --threads 1 --checkpoint " + weights);
  CHECK(contains(text.out, "resnet32 on synthetic test split (32 samples)"));
  expect_error("eval --threads 1 --checkpoint " + weights + " --model resnet20 --image-size 16", 2,
               "--model resnet20 (the checkpoint has resnet32), --image-size 16 (the checkpoint has 8)");
}

TEST_CASE("predict --json is one object with every image's classes") {
  const fs::path dir = scratch_dir("options_predict");
  REQUIRE(run_cli(std::string("train ") + kTinyRun + " --threads 1 --steps 1 --output-dir " + dir.string()).code ==
          0);
  const fs::path image = dir / "flat.png";
  dt::write_png(image, 8, 8, dt::kPngRgb, dt::flat(8, 8, {100, 120, 140}));
  const auto r = run_cli("predict --threads 1 --top 3 --json --checkpoint " + (dir / "weights.safetensors").string() +
                         " " + image.string());
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(json_holds(r.out, "len(j['images']) == 1 and len(j['images'][0]['top']) == 3 and "
                          "abs(sum(c['probability'] for c in j['images'][0]['top'])) <= 1.0 + 1e-6"));
}

TEST_CASE("torchvision's flags: warmup method, --amp, --weights, --test-only, --start-epoch, refusals and hints") {
  const fs::path dir = scratch_dir("options_torchvision");
  const std::string common = std::string("train ") + kTinyRun + " --threads 1 --output-dir ";
  // Constant warmup: the first epoch runs at lr × decay (torch's ConstantLR), then the schedule.
  REQUIRE(run_cli(common + (dir / "constant").string() +
                  " --epochs 3 --lr 0.2 --lr-scheduler constant --lr-warmup-epochs 1 --lr-warmup-method constant "
                  "--lr-warmup-decay 0.25")
              .code == 0);
  CHECK(summary_lr(dir / "constant", 1) == "0.05");
  CHECK(summary_lr(dir / "constant", 2) == "0.2");
  // Linear warmup over 2 epochs from 0.25: epoch 1 at 0.25, epoch 2 at 0.625 of lr (torch's LinearLR).
  REQUIRE(run_cli(common + (dir / "linear").string() +
                  " --epochs 3 --lr 0.2 --lr-scheduler constant --lr-warmup-epochs 2 --lr-warmup-method linear "
                  "--lr-warmup-decay 0.25")
              .code == 0);
  CHECK(summary_lr(dir / "linear", 1) == "0.05");
  CHECK(summary_lr(dir / "linear", 2) == "0.125");

  REQUIRE(run_cli(common + (dir / "amp").string() + " --steps 1 --amp").code == 0);
  CHECK(contains(read_text(dir / "amp" / "config"), "precision=bf16\n"));
  expect_error(common + (dir / "amp2").string() + " --amp --precision f32", 2, "--amp means --precision bf16");

  // --start-epoch: a fresh run begins at that epoch (one summary row, epoch 3).
  REQUIRE(run_cli(common + (dir / "start").string() + " --epochs 3 --start-epoch 2").code == 0);
  CHECK(lines(dir / "start" / "summary.csv") == 2);
  CHECK(read_text(dir / "start" / "summary.csv").find("\n3,") != std::string::npos);

  // --weights takes a state-dict file; --test-only evaluates it and writes nothing.
  const std::string weights = (dir / "amp" / "weights.safetensors").string();
  const auto tested = run_cli(common + (dir / "test_only").string() + " --precision bf16 --weights " + weights +
                              " --test-only");
  INFO(tested.out << tested.err);
  CHECK(tested.code == 0);
  CHECK(contains(tested.out, "test split (32 samples)"));
  CHECK(!fs::exists(dir / "test_only"));
  expect_error(common + (dir / "w").string() + " --weights ResNet50_Weights.IMAGENET1K_V2", 2, "never downloads");
  expect_error(common + (dir / "w").string() + " --test-only", 2, "--test-only evaluates loaded weights");
  expect_error(common + (dir / "w").string() + " --sync-bn", 2, "--dist-bn reduce");
  expect_error(common + (dir / "w").string() + " --device cpu", 2, "--device is torchvision's, not taken here");
  expect_error(common + (dir / "w").string() + " --lr-warmup-method cosine", 2,
               "--lr-warmup-method must be linear or constant, got 'cosine'");
  expect_error(common + (dir / "w").string() + " --lr-sheduler constant", 2, "(did you mean --lr-scheduler?)");
}

TEST_CASE("--version prints ours, oneDNN's and the instruction set") {
  const auto r = run_cli("--version");
  CHECK(r.code == 0);
  CHECK(contains(r.out, "dnntrain "));
  CHECK(contains(r.out, "oneDNN 3."));
  CHECK(contains(r.out, "ISA "));
}

TEST_CASE("a --steps run leaves weights.safetensors, which torch loads with load_state_dict(strict=True)") {
  const fs::path dir = scratch_dir("options_torch");
  REQUIRE(run_cli(std::string("train ") + kTinyRun + " --threads 1 --steps 2 --output-dir " + dir.string()).code ==
          0);
  REQUIRE(fs::exists(dir / "weights.safetensors"));
  CHECK(!fs::exists(dir / "best.safetensors"));  // no epoch finished: only the weights file has the weights
  const auto r = run_shell("/usr/bin/python3 " + std::string(DNNTRAIN_TEST_DIR) + "/load_weights_torch.py " +
                           (dir / "weights.safetensors").string() + " resnet20 10 3");
  INFO(r.out << r.err);
  if (r.code == 77) {
    MESSAGE("Debian's python3 has no torch: the strict load was not checked");
    return;
  }
  CHECK(r.code == 0);
  CHECK(contains(r.out, "(strict)"));
}

TEST_CASE("--val-crop-size other than the training crop evaluates a second plan with the same weights") {
  const fs::path dir = scratch_dir("options_val_crop");
  const fs::path data = dir / "data";
  for (const auto& [split, count] : {std::pair{"train", 8}, std::pair{"val", 3}})
    for (int c = 0; c < 3; ++c) {
      fs::create_directories(data / split / ("c" + std::to_string(c)));
      for (int i = 0; i < count; ++i) {
        std::vector<uint8_t> colour = {60, 60, 60};
        colour[size_t(c)] = uint8_t(120 + 20 * i);
        dt::write_png(data / split / ("c" + std::to_string(c)) / ("i" + std::to_string(i) + ".png"), 20, 16,
                      dt::kPngRgb, dt::flat(20, 16, colour));
      }
    }
  const auto r = run_cli("train --dataset imagefolder --data-path " + data.string() +
                         " --model resnet20 -b 4 --epochs 1 --threads 1 --train-crop-size 8 --val-resize-size 14 "
                         "--val-crop-size 12 --output-dir " + (dir / "run").string());
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // train's evaluation (a second plan at 12x12) against eval's Predictor on the saved weights.
  const auto e = run_cli("eval --threads 1 --data-path " + data.string() + " --checkpoint " +
                         (dir / "run" / "weights.safetensors").string());
  INFO(e.out << e.err);
  REQUIRE(e.code == 0);
  const auto loss_of = [](const std::string& text, const std::string& after) {
    const auto at = text.find(after);
    return at == std::string::npos ? std::string("?") : text.substr(at + after.size(), 6);
  };
  CHECK(loss_of(r.out, "test loss ") == loss_of(e.out, "samples): loss "));
  CHECK(contains(e.out, "(9 samples)"));
}
