// train and eval end to end on tiny synthetic data through the real executable: --help, the output
// folder, eval of the result, --config with a command-line override, Ctrl-C and a NaN loss.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;

TEST_CASE("help lists every option with its default") {
  const auto r = run_cli("train --help");
  CHECK(r.code == 0);
  for (const char* option : {"--model VALUE",
                             "--batch-size, -b VALUE",
                             "--epochs VALUE",
                             "--opt VALUE",
                             "--lr VALUE",
                             "--momentum",
                             "--wd, --weight-decay VALUE",
                             "--nesterov",
                             "--lr-scheduler VALUE",
                             "--lr-step-size",
                             "--lr-gamma",
                             "--lr-milestones",
                             "--lr-min",
                             "--lr-warmup-epochs",
                             "--label-smoothing",
                             "--norm-weight-decay",
                             "--output-dir",
                             "--resume",
                             "--print-freq",
                             "--seed",
                             "--dataset VALUE",
                             "--data-path",
                             "--stem",
                             "--init",
                             "--init-skip",
                             "--steps",
                             "--no-shuffle",
                             "--augment VALUE",
                             "--threads",
                             "--workers",
                             "--image-size",
                             "--config"}) {
    INFO(std::string(option));
    CHECK(contains(r.out, option));
  }
  const auto e = run_cli("eval --help");
  CHECK(e.code == 0);
  CHECK(contains(e.out, "--checkpoint"));
  CHECK(run_cli("--help").code == 0);
}

TEST_CASE("train writes its output folder and eval reads the checkpoint") {
  const fs::path dir = scratch_dir("cli_e2e");
  const auto r =
      run_cli(std::string("train ") + kTinyRun + " --epochs 2 --threads 1 --output-dir " + dir.string());
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  for (const char* f : {"summary.csv", "log.jsonl", "config", "checkpoint.safetensors", "best.safetensors"})
    CHECK(fs::is_regular_file(dir / f));
  CHECK(lines(dir / "summary.csv") == 3);  // header + 2 epochs
  CHECK(contains(read_text(dir / "summary.csv"),
                 "epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5"));
  CHECK(lines(dir / "log.jsonl") == 1 + 16 + 2);  // the run, then --print-freq 1: every step, and each epoch
  CHECK(read_text(dir / "log.jsonl").starts_with(
      "{\"type\":\"run\",\"step\":0,\"precision\":\"f32\",\"precision_auto\":null}\n"));
  CHECK(contains(r.out, "test loss"));
  const auto ck = dnntrain::engine::Safetensors::read((dir / "checkpoint.safetensors").string());
  CHECK(ck.metadata().at("dnntrain.step") == "16");
  CHECK(ck.find("fc.weight") != nullptr);

  const auto e = run_cli(
      "eval --dataset synthetic --synthetic-samples 128 --image-size 8 -b 16 --threads 1 "
      "--checkpoint " +
      (dir / "checkpoint.safetensors").string());
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK(contains(e.out, "top-1"));
  CHECK(contains(e.out, "confusion matrix"));
  CHECK(contains(e.out, "(32 samples)"));

  // Batch 24 over 32 test samples: a padded last batch of 8 whose padding must not count.
  const auto padded = run_cli(
      "eval --dataset synthetic --synthetic-samples 128 --image-size 8 -b 24 --threads 1 "
      "--checkpoint " +
      (dir / "checkpoint.safetensors").string());
  INFO(padded.out << padded.err);
  CHECK(padded.code == 0);
  CHECK(contains(padded.out, "(32 samples)"));
  const auto metrics = [](const std::string& out) { return out.substr(out.find("top-1"), 24); };
  CHECK(metrics(padded.out) == metrics(e.out));
}

TEST_CASE("--config sets options and the command line overrides them") {
  const fs::path dir = scratch_dir("cli_config");
  {
    std::ofstream cfg(dir / "run.ini");
    cfg << "# a config file\ndataset=synthetic\nsynthetic-samples=64\nimage-size=8\nbatch-size=16\nepochs=3\n"
        << "lr=0.05\nthreads=1\nnesterov=true\noutput-dir=" << (dir / "out").string() << "\n";
  }
  const auto r = run_cli("train --config " + (dir / "run.ini").string() + " --epochs 1");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(lines(dir / "out" / "summary.csv") == 2);  // --epochs 1 won over epochs=3
  const std::string config = read_text(dir / "out" / "config");
  CHECK(contains(config, "epochs=1\n"));
  CHECK(contains(config, "lr=0.05\n"));
  CHECK(contains(config, "nesterov=true\n"));
  // The saved configuration runs again as a config file.
  const auto again = run_cli("train --config " + (dir / "out" / "config").string() + " --output-dir " +
                             (dir / "again").string());
  INFO(again.err);
  CHECK(again.code == 0);
}

namespace {

// Interrupts a long run after a few steps with `sig`; expects exit 128 + sig and a checkpoint that
// resumes.
void interrupt_run(int sig, const std::string& name) {
  const fs::path dir = scratch_dir(name);
  const std::string out = (dir / "stdout").string();
  std::vector<std::string> args = {
      DNNTRAIN_CLI,   "train", "--dataset", "synthetic", "--synthetic-samples", "4096",
      "--image-size", "8",     "-b",        "16",        "--print-freq",        "1",
      "--threads",    "1",     "--epochs",  "1",         "--output-dir",        (dir / "run").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, DNNTRAIN_CLI, &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  // Wait for a few steps in the log (the epoch has 256), then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lines(dir / "run" / "log.jsonl") < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  INFO(read_text(out));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + sig);
  const auto ck = dnntrain::engine::Safetensors::read((dir / "run" / "checkpoint.safetensors").string());
  const int64_t step = std::stoll(ck.metadata().at("dnntrain.step"));
  CHECK(step >= 3);
  CHECK(step < 256);
  CHECK(ck.metadata().at("dnntrain.batch_in_epoch") == std::to_string(step));
  const auto resumed = run_cli(
      "train --dataset synthetic --synthetic-samples 4096 --image-size 8 -b 16 --threads 1 "
      "--epochs 1 --steps " +
      std::to_string(step + 2) + " --output-dir " + (dir / "run").string() + " --resume " +
      (dir / "run" / "checkpoint.safetensors").string());
  INFO(resumed.out << resumed.err);
  CHECK(resumed.code == 0);
  CHECK(contains(resumed.out, "resumed from"));
}

}  // namespace

TEST_CASE("Ctrl-C finishes the step, saves a checkpoint that resumes, and exits 130") {
  interrupt_run(SIGINT, "cli_sigint");
}

TEST_CASE("SIGTERM finishes the step, saves a checkpoint that resumes, and exits 143") {
  interrupt_run(SIGTERM, "cli_sigterm");
}

TEST_CASE("a NaN loss stops with exit 1 naming the step and leaves the last checkpoint intact") {
  const fs::path dir = scratch_dir("cli_nan");
  const std::string common = std::string("train ") + kTinyRun + " --threads 1 --output-dir " + dir.string();
  REQUIRE(run_cli(common + " --epochs 1").code == 0);
  const std::string before = read_text(dir / "checkpoint.safetensors");
  const auto r =
      run_cli(common + " --epochs 2 --lr 1e30 --overwrite");
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "step "));
  CHECK((contains(r.err, "nan") || contains(r.err, "inf")));
  CHECK(read_text(dir / "checkpoint.safetensors") == before);
}
