// The command line under hostile but realistic use: sizes that would overflow, non-finite and
// out-of-range values, stray arguments, special files given as files, links planted in the output
// folder, a second run on a locked folder, a fresh run over another's checkpoint, a full disk on
// the logs, and logs cut back to the checkpoint on resume. Each refusal is one line on stderr
// naming the option or file, exit 2 for the command line and 1 at run time, never a signal or hang.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/apps/cli_run.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;

namespace {

std::string tiny_train(const fs::path& dir) {
  return std::string("train ") + kTinyRun + " --threads 1 --output-dir " + dir.string();
}

}  // namespace

TEST_CASE("sizes that would overflow are refused naming the option, never a signal") {
  expect_error(
      "bench --model resnet20 --in-channels 1 --classes 10 --threads 1 -b 8 --image-size 2097152 --steps 2",
      2, "--image-size");
  expect_error("train --dataset synthetic --image-size 2097152", 2, "--image-size");
  expect_error("eval --dataset synthetic --checkpoint /etc/hostname --image-size 2097152", 2, "--image-size");
  expect_error("bench --image-size 8192 -b 100000", 2, "--batch-size");
  expect_error("bench --model resnet20 -b 2147483647 --image-size 32", 2, "--batch-size");
  expect_error("bench --classes 2000000000", 2, "--classes");
  expect_error("bench --in-channels 100000", 2, "--in-channels");
  expect_error("train --dataset synthetic --synthetic-samples 100000000000 --image-size 32", 2,
               "--synthetic-samples");
}

TEST_CASE("an image size too small for the model exits 2 naming --image-size") {
  expect_error("train --dataset synthetic --image-size 1", 2, "--image-size");
  expect_error("bench --image-size 1", 2, "--image-size");
  expect_error("bench --model resnet18 --image-size 16", 2, "--image-size");
  expect_error("eval --dataset synthetic --checkpoint /etc/hostname --image-size 1", 2, "--image-size");
}

TEST_CASE("an unknown --precision exits 2 naming the option and the choices, in train, eval and bench") {
  for (const std::string command : {"train --dataset synthetic", "eval --dataset synthetic --checkpoint /etc/hostname",
                                    "bench"}) {
    expect_error(command + " --precision fp16", 2, "--precision must be f32, bf16 or auto, got 'fp16'");
    expect_error(command + " --precision ''", 2, "--precision");
  }
}

TEST_CASE("every real-valued option refuses inf, nan and values out of range with exit 2") {
  for (const std::string option : {"--lr", "--momentum", "--wd", "--norm-weight-decay", "--label-smoothing",
                                   "--lr-gamma", "--lr-min", "--lr-warmup-decay"})
    for (const char* value : {"inf", "nan", "-inf"})
      expect_error("train --dataset synthetic " + option + " " + value, 2, option);
  expect_error("train --dataset synthetic --lr-scheduler exponentiallr --lr-gamma -1", 2, "--lr-gamma");
  expect_error("train --dataset synthetic --lr-gamma 0", 2, "--lr-gamma");
  expect_error("train --dataset synthetic --lr-min -0.1", 2, "--lr-min");
  expect_error("train --dataset synthetic --momentum -0.5", 2, "--momentum");
  expect_error("train --dataset synthetic --lr-warmup-decay 0", 2, "--lr-warmup-decay");
  expect_error("train --dataset synthetic --lr-step-size 0", 2, "--lr-step-size");
}

TEST_CASE("stray positional arguments exit 2 naming them") {
  expect_error("train foo bar", 2, "'foo'");
  expect_error("train --dataset synthetic --epochs 1 extra", 2, "'extra'");
  expect_error("eval --checkpoint /etc/hostname stray", 2, "'stray'");
  expect_error("bench stray", 2, "'stray'");
}

TEST_CASE("--config takes a regular file of bounded size only") {
  const fs::path dir = scratch_dir("hostile_config");
  expect_error("train --config " + dir.string(), 2, "is a directory");
  expect_error("train --config /dev/zero", 2, "is a device");
  const fs::path fifo = dir / "fifo.ini";
  REQUIRE(mkfifo(fifo.c_str(), 0644) == 0);
  expect_error("train --config " + fifo.string(), 2, "is a FIFO");
  const fs::path big = dir / "big.ini";
  std::ofstream(big) << std::string(2 << 20, '#');
  expect_error("train --config " + big.string(), 2, "limit");
  expect_error("train --config " + (dir / "none.ini").string(), 2, "does not exist");
}

TEST_CASE("one thread more than the hardware has exits 2 in train, eval and bench") {
  const fs::path dir = scratch_dir("hostile_threads");
  const std::string too_many = " --threads " + std::to_string(std::thread::hardware_concurrency() + 1);
  expect_error(std::string("train ") + kTinyRun + " --epochs 1 --output-dir " + dir.string() + too_many, 2,
               "--threads");
  expect_error("eval --dataset synthetic --image-size 8 --checkpoint /etc/hostname" + too_many, 2,
               "--threads");
  expect_error("bench --model resnet20 --image-size 8 -b 2 --steps 1 --warmup 0 --profile-steps 0" + too_many,
               2, "--threads");
}

TEST_CASE("--threads 1000 and --workers 100000 exit 2 at once") {
  expect_error("train --dataset synthetic --threads 1000", 2, "--threads");
  expect_error("eval --dataset synthetic --checkpoint /etc/hostname --threads 1000", 2, "--threads");
  expect_error("bench --threads 1000", 2, "--threads");
  expect_error("train --dataset synthetic --workers 100000", 2, "--workers");
}

TEST_CASE("a folder or FIFO given as a checkpoint is named for what it is, without hanging") {
  const fs::path dir = scratch_dir("hostile_special");
  const fs::path fifo = dir / "ck.safetensors";
  REQUIRE(mkfifo(fifo.c_str(), 0644) == 0);
  for (const std::string option :
       {"eval --dataset synthetic --checkpoint", "train --dataset synthetic --resume",
        "train --dataset synthetic --init"}) {
    expect_error(option + " " + dir.string(), 2, "is a directory");
    expect_error(option + " " + fifo.string(), 2, "is a FIFO");
  }
}

TEST_CASE("links planted in the output folder are never written through") {
  const fs::path dir = scratch_dir("hostile_links");
  const fs::path victim = dir / "victim.txt", out = dir / "out";
  const auto planted = [&](const std::string& name) {
    fs::remove_all(out);
    fs::create_directories(out);
    std::ofstream(victim) << "precious";
    fs::create_symlink(victim, out / name);
  };
  for (const std::string name : {"summary.csv", "log.jsonl"}) {
    INFO(name);
    planted(name);
    expect_error(tiny_train(out) + " --epochs 1", 1, (out / name).string());
    CHECK(read_text(victim) == "precious");
  }
  // The config and checkpoints are replaced by rename: the link goes, its target stays.
  for (const std::string name : {"config", "checkpoint.safetensors"}) {
    INFO(name);
    planted(name);
    const auto r = run_cli(tiny_train(out) + " --epochs 1 --overwrite");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(!fs::is_symlink(out / name));
    CHECK(read_text(victim) == "precious");
  }
}

TEST_CASE("the output folder is locked: a second run exits 2 naming it") {
  const fs::path dir = scratch_dir("hostile_lock");
  const std::string lock = (dir / "dnntrain.lock").string();
  const int fd = open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);  // this process plays the first run
  const auto r = expect_error(tiny_train(dir) + " --epochs 1", 2, dir.string());
  CHECK(contains(r.err, "in use"));
  CHECK(!fs::exists(dir / "summary.csv"));
  close(fd);
  CHECK(run_cli(tiny_train(dir) + " --epochs 1").code == 0);
}

TEST_CASE("a fresh run into a folder with another run's checkpoint needs --resume or --overwrite") {
  const fs::path dir = scratch_dir("hostile_fresh");
  REQUIRE(run_cli(tiny_train(dir) + " --epochs 1").code == 0);
  const std::string before = read_text(dir / "checkpoint.safetensors");
  const auto refused = expect_error(tiny_train(dir) + " --epochs 1", 2, dir.string());
  CHECK(contains(refused.err, "--overwrite"));
  CHECK(read_text(dir / "checkpoint.safetensors") == before);
  CHECK(run_cli(tiny_train(dir) + " --epochs 2 --resume " + (dir / "checkpoint.safetensors").string()).code ==
        0);
  CHECK(run_cli(tiny_train(dir) + " --epochs 1 --overwrite --seed 5").code == 0);
  CHECK(lines(dir / "summary.csv") == 2);  // started afresh
}

TEST_CASE("temporaries a killed run left are removed when the next run takes the folder, no other file") {
  const fs::path dir = scratch_dir("hostile_stale");
  // pid 999999999 is above Linux's pid_max: its writer is surely dead. This process is alive.
  const std::string live = "best.safetensors.dnntrain-tmp." + std::to_string(getpid()) + ".0";
  std::ofstream(dir / "checkpoint.safetensors.dnntrain-tmp.999999999.0") << "torn";
  std::ofstream(dir / live) << "a live writer's";
  std::ofstream(dir / "notes.tmp.txt") << "not ours";
  std::ofstream(dir / "photo.tmp.123456.0") << "a user's file with a temporary-looking name";
  const auto r = run_cli(tiny_train(dir) + " --epochs 1");
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(!fs::exists(dir / "checkpoint.safetensors.dnntrain-tmp.999999999.0"));
  CHECK(fs::exists(dir / live));
  CHECK(fs::exists(dir / "notes.tmp.txt"));
  CHECK(fs::exists(dir / "photo.tmp.123456.0"));
}

namespace {

// Runs `args` with every file limited to `bytes` (writes past it fail with EFBIG: SIGXFSZ is
// ignored, which children inherit), the way a full disk fails a write.
CliResult run_with_file_limit(const std::string& args, rlim_t bytes) {
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  rlimit limited = old;
  limited.rlim_cur = bytes;
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);
  REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
  const CliResult r = run_cli(args);
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  return r;
}

// Appends copies of `line` to `file` until it is `size` bytes short of `limit`.
void pad(const fs::path& file, const std::string& line, uintmax_t limit, uintmax_t short_by) {
  std::ofstream out(file, std::ios::app);
  for (uintmax_t size = fs::file_size(file); size + line.size() + short_by <= limit; size += line.size())
    out << line;
}

}  // namespace

TEST_CASE("a write error on summary.csv or log.jsonl exits 1 naming the file") {
  const fs::path dir = scratch_dir("hostile_full");
  const fs::path checkpoint = dir / "checkpoint.safetensors";
  REQUIRE(run_cli(tiny_train(dir) + " --epochs 1").code == 0);
  const std::string kept_step = "{\"type\":\"step\",\"epoch\":1,\"step\":1,\"batch\":1,\"loss\":2}\n";
  const std::string kept_row = "1,0.1,2.3,0.1,2.3,0.1,0.5,100.0,1.0,0.00\n";
  // Room for the checkpoints and config: only the padded log can outgrow the limit.
  const uintmax_t limit = fs::file_size(checkpoint) + (64 << 10);
  fs::copy_file(checkpoint, dir / "epoch1.safetensors");
  const std::string resume =
      tiny_train(dir) + " --epochs 2 --resume " + (dir / "epoch1.safetensors").string();

  pad(dir / "log.jsonl", kept_step, limit, 20);  // the next step line does not fit
  auto r = run_with_file_limit(resume, limit);
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, (dir / "log.jsonl").string()));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  fs::resize_file(dir / "log.jsonl", 0);
  pad(dir / "summary.csv", kept_row, limit, 20);  // epoch 2's row does not fit
  r = run_with_file_limit(resume, limit);
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(contains(r.err, (dir / "summary.csv").string()));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("resuming from an older checkpoint cuts summary.csv and log.jsonl back to it") {
  const fs::path dir = scratch_dir("hostile_cut");
  REQUIRE(run_cli(tiny_train(dir) + " --epochs 2").code == 0);
  fs::copy_file(dir / "checkpoint.safetensors", dir / "epoch2.safetensors");
  // Epoch 3 runs, then the same epoch runs again from epoch 2's checkpoint, as after a crash
  // between epoch 3's rows and its checkpoint.
  REQUIRE(
      run_cli(tiny_train(dir) + " --epochs 3 --resume " + (dir / "checkpoint.safetensors").string()).code ==
      0);
  REQUIRE(run_cli(tiny_train(dir) + " --epochs 3 --resume " + (dir / "epoch2.safetensors").string()).code ==
          0);
  CHECK(lines(dir / "summary.csv") == 4);  // header and epochs 1, 2, 3 once each
  std::multiset<std::string> steps, epochs;
  std::ifstream log(dir / "log.jsonl");
  std::string first;
  REQUIRE(std::getline(log, first));
  CHECK(contains(first, "{\"type\":\"run\",\"step\":0,"));  // the first run's, kept by both resumes
  for (std::string line; std::getline(log, line);) {
    REQUIRE(!contains(line, "\"type\":\"run\""));
    const bool epoch = contains(line, "\"type\":\"epoch\"");
    const auto key = line.find(epoch ? "\"epoch\":" : "\"step\":");
    (epoch ? epochs : steps).insert(line.substr(key, line.find(',', key) - key));
  }
  CHECK(epochs.size() == 3);
  CHECK(std::set<std::string>(epochs.begin(), epochs.end()).size() == 3);
  CHECK(steps.size() == 24);  // 8 steps an epoch, each logged once
  CHECK(std::set<std::string>(steps.begin(), steps.end()).size() == 24);
}

TEST_CASE("a resume position past the epoch's batches or a bad best top-1 exits 1 naming the checkpoint") {
  const fs::path dir = scratch_dir("hostile_position");
  REQUIRE(run_cli(tiny_train(dir) + " --epochs 1 --steps 4").code == 0);
  const std::string edited = (dir / "edited.safetensors").string();
  rewrite_checkpoint((dir / "checkpoint.safetensors").string(), edited, [](Metadata& meta) {
    meta["dnntrain.batch_in_epoch"] = "20";
    meta["dnntrain.step"] = "20";
  });
  expect_error(tiny_train(dir) + " --epochs 2 --resume " + edited, 1, edited);
  rewrite_checkpoint((dir / "checkpoint.safetensors").string(), edited,
                     [](Metadata& meta) { meta["dnntrain.extra.best_top1"] = "abc"; });
  expect_error(tiny_train(dir) + " --epochs 2 --resume " + edited, 1, "best_top1");
}

TEST_CASE("the recipe's options (issue 24) refuse bad values with exit 2 naming the option") {
  for (const std::string option : {"--random-erase", "--mixup-alpha", "--cutmix-alpha", "--model-ema-decay"})
    for (const char* value : {"inf", "nan", "-inf", "-0.5", "2000"})
      expect_error("train --dataset synthetic " + option + " " + value, 2, option);
  expect_error("train --dataset synthetic --auto-augment augmix", 2, "--auto-augment must be ta_wide or ra");
  expect_error("train --dataset synthetic --ra-magnitude 31", 2, "--ra-magnitude must be in [0, 30]");
  expect_error("train --dataset synthetic --ra-magnitude -1", 2, "--ra-magnitude");
  expect_error("train --dataset synthetic --model-ema-steps 0", 2, "--model-ema-steps");
  expect_error("train --dataset synthetic --interpolation lanczos", 2,
               "--interpolation must be nearest, bilinear or bicubic");
  expect_error("eval --dataset synthetic --checkpoint /etc/hostname --interpolation area", 2,
               "--interpolation");
}
