// The second round of hostile use of a training run: names that are not text, a resume aimed at
// another run's folder or with another shape, weights that overflow in the update, a closed or
// full standard output, options that would be read as something else, a hard link planted as the
// lock, and a signal in the middle of an evaluation. Each ends with one line naming the file or
// option and earlier checkpoints intact.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>

#include "tests/apps/cli_run.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
namespace dt = dnntrain::data::test;

namespace {

std::string tiny_train(const fs::path& dir) {
  return std::string("train ") + kTinyRun + " --threads 1 --output-dir '" + dir.string() + "'";
}

// kTinyRun without its batch and image sizes, for runs that change them.
std::string tiny_train_sized(const fs::path& dir, int batch, int image_size) {
  return "train --dataset synthetic --synthetic-samples 128 --print-freq 1 --threads 1 -b " +
         std::to_string(batch) + " --image-size " + std::to_string(image_size) + " --output-dir " +
         dir.string();
}

// An image folder of two classes, `first` and "b", with two 8x8 PNGs each in train/ and val/.
void write_folder(const fs::path& root, const std::string& first) {
  for (const char* split : {"train", "val"})
    for (const std::string& name : {first, std::string("b")}) {
      fs::create_directories(root / split / name);
      for (int i = 0; i < 2; ++i)
        dt::write_png(root / split / name / ("i" + std::to_string(i) + ".png"), 8, 8, dt::kPngRgb,
                      dt::flat(8, 8, {static_cast<uint8_t>(40 * i), 90, 200}));
    }
}

}  // namespace

TEST_CASE("a class folder whose name is not UTF-8 text or holds a line break is refused, naming it") {
  for (const std::string& name : {std::string("\xff\xfe"), std::string("two\nlines")}) {
    const fs::path dir = scratch_dir("hostile_class_name");
    write_folder(dir / "data", name);
    const CliResult r = run_cli("train --dataset imagefolder --data-path " + (dir / "data").string() +
                                " --model resnet20 --image-size 8 -b 2 --epochs 1 --threads 1 --workers 1 "
                                "--output-dir " +
                                (dir / "run").string());
    INFO(r.out << r.err);
    CHECK(r.code == 1);
    CHECK(contains(r.err, "class folder's name"));
    CHECK(contains(r.err, (dir / "data" / "train").string()));
    CHECK(!fs::exists(dir / "run" / "checkpoint.safetensors"));
  }
}

TEST_CASE("--resume into another run's folder is refused unless --overwrite") {
  const fs::path a = scratch_dir("hostile_resume_a"), b = scratch_dir("hostile_resume_b");
  REQUIRE(run_cli(tiny_train(a) + " --epochs 1").code == 0);
  REQUIRE(run_cli(tiny_train(b) + " --epochs 2 --seed 7").code == 0);
  const std::string b_summary = read_text(b / "summary.csv");
  const std::string resume = " --epochs 2 --resume " + (a / "checkpoint.safetensors").string();
  const CliResult r = run_cli(tiny_train(b) + resume);
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "--output-dir"));
  CHECK(read_text(b / "summary.csv") == b_summary);
  // Its own folder continues; an empty folder takes it; --overwrite replaces B's run.
  CHECK(run_cli(tiny_train(scratch_dir("hostile_resume_c")) + resume).code == 0);
  CHECK(run_cli(tiny_train(b) + resume + " --overwrite").code == 0);
  CHECK(run_cli(tiny_train(a) + resume).code == 0);
}

TEST_CASE("a resume with another --image-size exits 2 naming it, another batch size keeps every log record") {
  const fs::path dir = scratch_dir("hostile_resume_shape");
  REQUIRE(run_cli(tiny_train_sized(dir, 16, 8) + " --epochs 2 --steps 4").code == 0);  // 4 steps of 16
  const std::string resume = " --epochs 2 --resume " + (dir / "checkpoint.safetensors").string();
  const CliResult r = run_cli(tiny_train_sized(dir, 16, 16) + resume);
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "--image-size 16 (the checkpoint has 8)"));
  const int64_t steps_logged = lines(dir / "log.jsonl");
  CHECK(steps_logged == 1 + 4);  // the run line, then the steps
  // Batch 32 consumes the same 64 samples in 2 steps: the 4 records written before stay.
  const CliResult bigger = run_cli(tiny_train_sized(dir, 32, 8) + resume + " --steps 3");
  INFO(bigger.out << bigger.err);
  REQUIRE(bigger.code == 0);
  CHECK(lines(dir / "log.jsonl") == steps_logged + 1);
}

TEST_CASE("weights made NaN by the update stop the run at that step, before anything is written") {
  const fs::path dir = scratch_dir("hostile_nan_weights");
  const CliResult r = run_cli(tiny_train(dir) + " --epochs 2 --freeze-bn --lr 1");
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "NaN or infinite"));
  CHECK(!fs::exists(dir / "checkpoint.safetensors"));
  CHECK(lines(dir / "summary.csv") == 1);  // the header only: no row from the broken weights
}

TEST_CASE("a standard output that fails (a closed pipe, a full disk) saves, then exits 1 naming stdout") {
  const fs::path full = scratch_dir("hostile_stdout_full");
  const CliResult r =
      run_shell("{ " + std::string(DNNTRAIN_CLI) + " " + tiny_train(full) + " --epochs 2 > /dev/full; }");
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "standard output"));
  CHECK(fs::exists(full / "checkpoint.safetensors"));
  CHECK(lines(full / "summary.csv") == 1);  // stopped before its first step, not after its 2 epochs

  const fs::path pipe = scratch_dir("hostile_stdout_pipe");
  // Enough lines to fill the pipe after head has gone, so that a write meets the closed pipe.
  const CliResult p = run_shell("{ " + std::string(DNNTRAIN_CLI) + " " + tiny_train(pipe) +
                                " --epochs 200 2>" + (pipe / "err.txt").string() + "; echo $? > " +
                                (pipe / "rc.txt").string() + "; } | head -2 > /dev/null");
  const std::string err = read_text(pipe / "err.txt");
  INFO(err);
  CHECK(read_text(pipe / "rc.txt") == "1\n");
  CHECK(contains(err, "standard output"));
  CHECK(fs::exists(pipe / "checkpoint.safetensors"));
  CHECK(lines(pipe / "summary.csv") < 100);  // stopped soon after head left, not after 200 epochs
  const fs::path done = scratch_dir("hostile_stdout_plot");
  REQUIRE(run_cli(tiny_train(done) + " --epochs 1").code == 0);
  const CliResult plot = run_shell("{ " + std::string(DNNTRAIN_CLI) + " plot " + done.string() + " -o " +
                                   (done / "c.svg").string() + " > /dev/full; }");
  CHECK(plot.code == 1);
  CHECK(contains(plot.err, "standard output"));
}

TEST_CASE("options that would be read as something else exit 2 naming them, before any file is written") {
  const fs::path dir = scratch_dir("hostile_options");
  const std::string train =
      "train --dataset synthetic --lr-scheduler multisteplr --output-dir " + dir.string();
  for (const char* milestones : {"'2 3'", "1e3", "2.9", "-5", "3,2"})
    expect_error(train + " --lr-milestones " + milestones, 2, "--lr-milestones");
  expect_error(train + " --seed -1", 2, "--seed");
  expect_error(train + " --seed 1e3", 2, "--seed");
  expect_error(train + " --bucket-mb 1e30", 2, "--bucket-mb");
  expect_error(train + " --dist-timeout 1e300", 2, "--dist-timeout");
  expect_error("train --dataset synthetic --output-dir '" + (dir / "a#b").string() + "'", 2, "--output-dir");
  expect_error("train --dataset synthetic --output-dir '" + (dir / "a\nb").string() + "'", 2, "--output-dir");
  expect_error("train --dataset synthetic --output-dir '" + dir.string() + "/\xff'", 2, "--output-dir");
  CHECK(fs::is_empty(dir));
}

TEST_CASE("a hard link planted as dnntrain.lock is refused, the file it links to is untouched") {
  const fs::path dir = scratch_dir("hostile_lock_link");
  const fs::path victim = dir.parent_path() / "hostile_lock_victim.txt";
  std::ofstream(victim) << "precious";
  fs::create_directories(dir / "run");
  fs::create_hard_link(victim, dir / "run" / "dnntrain.lock");
  const CliResult r = run_cli(tiny_train(dir / "run") + " --epochs 1");
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "dnntrain.lock"));
  CHECK(read_text(victim) == "precious");
}

TEST_CASE("SIGTERM during an evaluation cuts it short: the checkpoint is saved at once, exit 143") {
  const fs::path dir = scratch_dir("hostile_term_eval");
  // One training step (2 images), then an evaluation of 600 images that takes seconds.
  for (const auto& [split, count] : {std::pair{"train", 1}, std::pair{"val", 300}})
    for (const char* name : {"a", "b"}) {
      fs::create_directories(dir / "data" / split / name);
      for (int i = 0; i < count; ++i)
        dt::write_png(dir / "data" / split / name / (std::to_string(i) + ".png"), 16, 16, dt::kPngRgb,
                      dt::flat(16, 16, {static_cast<uint8_t>(i), 90, 200}));
    }
  const fs::path log = dir / "run" / "log.jsonl";
  const std::string run = std::string(DNNTRAIN_CLI) + " train --dataset imagefolder --data-path " +
                          (dir / "data").string() +
                          " --model resnet20 --image-size 64 -b 2 --epochs 1 --threads 1 --workers 1 "
                          "--print-freq 1 --output-dir " +
                          (dir / "run").string();
  const CliResult r =
      run_shell("{ " + run + " > " + (dir / "out.txt").string() + " & pid=$!; for i in $(seq 1200); do " +
                "grep -q '\"step\":1' " + log.string() + " 2>/dev/null && break; sleep 0.05; done; " +
                "kill -TERM $pid; wait $pid; }");
  const std::string out = read_text(dir / "out.txt");
  INFO(out << r.err);
  CHECK(r.code == 143);
  CHECK(contains(out, "interrupted during the evaluation of epoch 1"));
  CHECK(fs::exists(dir / "run" / "checkpoint.safetensors"));
  CHECK(lines(dir / "run" / "summary.csv") == 1);
}
